/**
 * `npm run ingest` against a running `npm start` uses the product's own configuration (named in
 * runtime.json), not its default: a product configured for Somerset keeps Somerset's rows. Another
 * APP_CONFIG_FILE, or a configuration changed since the product started, is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCATIONS_HEADER } from '../../functions/ingest/columns';
import { csvLine } from '../../functions/ingest/csv';
import { PINNED_NOW } from '../support/pinned-clock';
import { locationRows } from './helpers';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
const dataDir = join(dir, 'data');
const somersetConfig = join(dir, 'somerset.json');
let product: ChildProcess;

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, APP_CONFIG_FILE: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'config', 'local.json'), 'utf8')) as { authority: { localAuthorities: string[] } };
  config.authority.localAuthorities = ['Somerset'];
  writeFileSync(somersetConfig, JSON.stringify(config));
  product = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, APP_CONFIG_FILE: somersetConfig, NO_DEMO: '1', CLOCK_START: PINNED_NOW.toISOString(), HTTP_PORT: '0', DYNAMODB_PORT: '0', STEPFUNCTIONS_PORT: '0', SES_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  product.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  product.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Stop with Ctrl\+C/.test(output) || !existsSync(join(dataDir, 'runtime.json'))) {
    if (product.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 70_000);

afterAll(async () => {
  if (product.exitCode === null) {
    const exited = new Promise((resolve) => product.once('exit', resolve));
    product.kill('SIGTERM');
    await exited;
  }
});

describe('npm run ingest and the running product', () => {
  const file = join(dir, 'somerset.csv');
  writeFileSync(file, [csvLine(LOCATIONS_HEADER), ...locationRows({ locationId: '1-SOM', localAuthority: 'Somerset', date: '01/10/2026' }, 'Good').map(csvLine)].join('\r\n'));

  it('uses the configuration runtime.json names, and refuses a conflicting one', async () => {
    expect(JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8'))).toMatchObject({ configFile: somersetConfig, configSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const refused = await run(['ingest', file, '--apply'], { APP_CONFIG_FILE: join(ROOT, 'config', 'local.json') });
    expect(refused.code).toBe(2);
    expect(refused.out).toContain(`but the running product uses ${somersetConfig}`);
    const applied = await run(['ingest', file, '--apply']);
    expect(applied.out).toMatch(/rows kept\s+6\n/);
    expect(applied.code).toBe(0);
    writeFileSync(somersetConfig, readFileSync(somersetConfig, 'utf8').replace('"Somerset"', '"Devon"'));
    const changed = await run(['ingest', file, '--apply']);
    expect(changed.code).toBe(2);
    expect(changed.out).toContain('has changed since the product started');
  }, 60_000);
});
