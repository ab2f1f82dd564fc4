/**
 * API Gateway (HTTP API, payload 2.0) adapter. Admin, Board and page routes sit behind a JWT
 * authorizer on AWS, so here the caller is the token's verified subject; the email-link routes
 * are public (their signature is the authority).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleRequest, type HttpDeps, type HttpRequest } from './app';
import { lambdaDeps } from '../lib/aws-deps';
import { renderPage } from '../web/pages';
import { S3Client } from '@aws-sdk/client-s3';
import { s3IngestUpload } from './s3-upload';
import { s3EvidenceStore } from '../ladder/evidence-store';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeAuditCheckpoint } from '../audit/invoke';

type Event = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

export function toHttpRequest(event: Event): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  // Payload 2.0 moves the Cookie header into `cookies` (one entry per cookie) and leaves no
  // `cookie` header: put it back the way a browser sent it, for the session and the form tokens.
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  else delete headers.cookie;
  // A binary body (an ODS upload) stays base64, marked, so nothing is lost in a text round trip.
  const binary = Boolean(event.body && event.isBase64Encoded && !/^(text\/|application\/(json|x-www-form-urlencoded))/.test(headers['content-type'] ?? ''));
  if (binary) headers['x-body-encoding'] = 'base64';
  const body = event.body ? (event.isBase64Encoded && !binary ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
  const stage = event.requestContext.stage && event.requestContext.stage !== '$default' ? `/${event.requestContext.stage}` : '';
  const path = event.rawPath.startsWith(stage) ? event.rawPath.slice(stage.length) || '/' : event.rawPath;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path,
    rawQuery: event.rawQueryString ?? '',
    query,
    headers,
    body,
    sourceIp: event.requestContext.http.sourceIp,
  };
}

/** The subject of the JWT that API Gateway already verified, if the route had the authorizer. */
export function jwtSubject(event: Event): string | undefined {
  const authorizer = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer;
  const subject = authorizer?.jwt?.claims?.email ?? authorizer?.jwt?.claims?.sub;
  return typeof subject === 'string' ? subject : undefined;
}

export function createHttpHandler(deps: (event: Event) => Promise<HttpDeps>) {
  return middy<Event, APIGatewayProxyStructuredResultV2>().handler(async (event) => {
    const response = await handleRequest(await deps(event), toHttpRequest(event));
    return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: response.isBase64Encoded ?? false };
  });
}

let s3: S3Client | undefined;
function uploadToBucket(): HttpDeps['ingestUpload'] {
  const bucket = process.env.RATINGS_BUCKET;
  if (!bucket) return undefined;
  s3 ??= new S3Client({});
  return s3IngestUpload(s3, bucket, process.env.UPLOAD_PREFIX ?? 'uploads/');
}

/** The provider's evidence files (EVIDENCE_BUCKET); absent: responses with files are refused as too large to keep. */
function evidenceBucket(): HttpDeps['evidence'] {
  const bucket = process.env.EVIDENCE_BUCKET;
  if (!bucket) return undefined;
  s3 ??= new S3Client({});
  return s3EvidenceStore(s3, bucket);
}

let lambda: LambdaClient | undefined;
/** The checkpoint function, which alone holds the checkpoint key, does the verify (AUDIT_CHECKPOINT_FUNCTION). */
function auditCheckpoint(): HttpDeps['auditCheckpoint'] {
  const functionName = process.env.AUDIT_CHECKPOINT_FUNCTION;
  if (!functionName) return undefined;
  lambda ??= new LambdaClient({});
  const client = lambda;
  return (reason) => invokeAuditCheckpoint(client, functionName, reason);
}

export const handler = createHttpHandler(async (event) => ({
  ...(await lambdaDeps()),
  authenticate: () => jwtSubject(event),
  pages: renderPage,
  ingestUpload: uploadToBucket(),
  auditCheckpoint: auditCheckpoint(),
  evidence: evidenceBucket(),
  // API Gateway hands Lambda at most 6 MB, base64 makes a file a third larger.
  uploadLimit: { bytes: 4_000_000, hint: "Larger files, such as CQC's national ODS, go straight into the ratings bucket under uploads/" },
}));
