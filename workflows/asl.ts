/**
 * The slice of the Amazon States Language (JSONPath) the escalation workflow uses, typed, so the
 * builder in `escalation.ts` cannot emit a misspelt field.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface Common {
  Comment?: string;
}

export interface TaskState extends Common {
  Type: 'Task';
  Resource: string;
  Parameters?: { [key: string]: Json };
  ResultSelector?: { [key: string]: Json };
  ResultPath?: string | null;
  OutputPath?: string;
  TimeoutSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next?: string;
  End?: true;
}

export interface ChoiceRule {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  And?: ChoiceRule[];
  Next?: string;
}

export interface ChoiceState extends Common {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface PassState extends Common {
  Type: 'Pass';
  Parameters?: { [key: string]: Json };
  ResultPath?: string | null;
  Next?: string;
  End?: true;
}

export interface WaitState extends Common {
  Type: 'Wait';
  Seconds: number;
  Next: string;
}

export interface SucceedState extends Common {
  Type: 'Succeed';
}

export interface FailState extends Common {
  Type: 'Fail';
  Error?: string;
  Cause?: string;
}

export type State = TaskState | ChoiceState | PassState | WaitState | SucceedState | FailState;

export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
}
