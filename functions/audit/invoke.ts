/**
 * The HTTP API asks the checkpoint function for a verify (and a checkpoint) by invoking it: the
 * API's own role may invoke it, but holds neither the checkpoint key nor any write access to the
 * checkpoint bucket, so it cannot choose what a checkpoint says.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { auditReportSchema, type AuditReport } from './verify';

export class AuditCheckpointFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditCheckpointFailed';
  }
}

export async function invokeAuditCheckpoint(lambda: LambdaClient, functionName: string, reason: 'verify' | 'request'): Promise<AuditReport> {
  const result = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify({ source: reason })) }));
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  if (result.FunctionError) throw new AuditCheckpointFailed(`The audit checkpoint function failed: ${text.slice(0, 500)}`);
  const parsed = auditReportSchema.safeParse(JSON.parse(text || 'null'));
  if (!parsed.success) throw new AuditCheckpointFailed('The audit checkpoint function answered with something that is not a report');
  return parsed.data;
}
