/**
 * `npm run memo:share`: a presigned GET link to `memo/latest.csv` in the memo bucket on AWS, for a
 * neighbouring authority without an AWS account to fetch. Signing is done here, offline, with the
 * caller's credentials (the default chain: AWS_PROFILE, environment, SSO...); nothing is sent to
 * AWS. SigV4 links last at most 7 days, and never longer than the credentials that signed them:
 * a link signed with a role's temporary credentials (SSO, assumed role, a Lambda's role) dies with
 * that session, so sign with an IAM user's long-term keys or share by bucket policy
 * (`memoShareAccounts`) instead.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { MEMO_LATEST_KEY } from '../functions/council/memo-publish';

/** SigV4's ceiling for a presigned URL. */
export const MAX_SHARE_DAYS = 7;

const argsSchema = z.object({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (the MemoBucketName output)'),
  days: z.coerce.number().int().min(1).max(MAX_SHARE_DAYS, `at most ${MAX_SHARE_DAYS} (a presigned link cannot last longer)`).default(MAX_SHARE_DAYS),
  region: z.string().min(1).default(process.env.AWS_REGION ?? 'eu-west-2'),
});
export type MemoShareArgs = z.infer<typeof argsSchema>;

export function parseMemoShareArgs(args: readonly string[]): MemoShareArgs | { error: string } {
  const named: Record<string, string> = {};
  for (let index = 0; index < args.length; index += 2) {
    const flag = /^--(bucket|days|region)$/.exec(args[index] ?? '');
    const value = args[index + 1];
    if (!flag || value === undefined) return { error: `Unexpected argument ${args[index]}` };
    named[flag[1]!] = value;
  }
  const parsed = argsSchema.safeParse(named);
  return parsed.success ? parsed.data : { error: parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

export async function memoShareUrl(args: MemoShareArgs, client = new S3Client({ region: args.region }), now = new Date()): Promise<{ url: string; expiresAt: Date }> {
  const expiresIn = args.days * 86_400;
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: args.bucket, Key: MEMO_LATEST_KEY }), { expiresIn, signingDate: now });
  return { url, expiresAt: new Date(now.getTime() + expiresIn * 1000) };
}
