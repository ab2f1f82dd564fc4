/**
 * SNS (the SES configuration set's event destination) → bounces and complaints on the case. Thin:
 * the SNS envelope and SES's event record are validated, then handed to the ladder module. A
 * record that is not an SES bounce or complaint is refused by name, so a wrong subscription shows.
 */
import middy from '@middy/core';
import { z } from 'zod';
import type { LadderDeps } from '../ladder/context';
import { recordMailFeedback, sesEventSchema, type FeedbackOutcome } from '../ladder/mail-feedback';
import { lambdaDeps } from '../lib/aws-deps';

export class InvalidMailEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMailEvent';
  }
}

/** Lambda's SNS event: one record per notification, the SES event as the message's JSON text. */
export const snsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({ MessageId: z.string(), TopicArn: z.string(), Message: z.string() }),
      }),
    )
    .min(1),
});

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function createMailEventsHandler(deps: () => Promise<LadderDeps>) {
  return middy<unknown, { outcomes: FeedbackOutcome[] }>().handler(async (event) => {
    const envelope = snsEventSchema.safeParse(event);
    if (!envelope.success) throw new InvalidMailEvent(`Not an SNS event: ${issues(envelope.error)}`);
    const outcomes: FeedbackOutcome[] = [];
    for (const [index, record] of envelope.data.Records.entries()) {
      let message: unknown;
      try {
        message = JSON.parse(record.Sns.Message);
      } catch {
        throw new InvalidMailEvent(`Records.${index}.Sns.Message (${record.Sns.MessageId}) is not JSON`);
      }
      const parsed = sesEventSchema.safeParse(message);
      if (!parsed.success) throw new InvalidMailEvent(`Records.${index}.Sns.Message (${record.Sns.MessageId}) is not an SES event record: ${issues(parsed.error)}`);
      outcomes.push(await recordMailFeedback(await deps(), parsed.data));
    }
    return { outcomes };
  });
}

export const handler = createMailEventsHandler(lambdaDeps);
