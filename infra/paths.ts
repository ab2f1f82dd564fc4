/**
 * Where things are, from this module's own location — never from the working directory, so
 * `cdk synth`, the tests and an editor all find the same files wherever they are started from.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json and cdk.json). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The lock file that pins every bundled dependency, the AWS SDK v3 included. */
export const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/** The names of the Lambda handler folders under `functions/`. */
export type FunctionSource = 'workflow-step' | 'http-api' | 'ratings-import' | 'audit-checkpoint' | 'mail-events' | 'memo-publish';

/** `functions/<source>/handler.ts`, which exports `handler`. */
export function functionEntry(source: FunctionSource): string {
  return fileURLToPath(new URL(`../functions/${source}/handler.ts`, import.meta.url));
}

/** A path given in CDK context: absolute as it is, relative to the project root otherwise. */
export function projectPath(path: string): string {
  return resolve(PROJECT_ROOT, path);
}
