/**
 * Files from the shared reference folder, which sits beside the project's root (`../shared`):
 * found from this file's own location, so a clone anywhere (CI's included) finds its copy.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function sharedFile(relative: string): string {
  const beside = fileURLToPath(new URL(`../../../shared/${relative}`, import.meta.url));
  if (existsSync(beside)) return beside;
  throw new Error(`Reference file not found: ${beside} (the shared folder belongs beside the project)`);
}
