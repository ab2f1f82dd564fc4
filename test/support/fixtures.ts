/** Reference files the tests read, kept in the repository (test/fixtures) so any clone has them. */
import { fileURLToPath } from 'node:url';

export function fixtureFile(relative: string): string {
  return fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
}
