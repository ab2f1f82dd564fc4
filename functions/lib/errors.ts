/**
 * Domain errors carry a `name` the state machine's Retry/Catch can match and an HTTP status the
 * adapters map them to. `expose` marks errors whose message is safe to show to a caller.
 */
export class DomainError extends Error {
  readonly status: number = 400;
  readonly expose: boolean = true;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  override readonly status = 404;
}

export class Conflict extends DomainError {
  override readonly status = 409;
}

export class BadInput extends DomainError {
  override readonly status = 400;
}

export class Unauthorised extends DomainError {
  override readonly status = 401;
}

export class Forbidden extends DomainError {
  override readonly status = 403;
}

/** A send that SES refused or throttled, after our own retries: Step Functions retries it again. */
export class EmailSendFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailSendFailed';
  }
}

/** SES refused the message itself (e.g. a rejected address): retrying will not help. */
export class EmailRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailRejected';
  }
}
