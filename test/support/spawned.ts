/**
 * The product as `npm start` runs it, in a child process on a data folder, for kill tests: random
 * ports, the pinned virtual date, and optionally a crash point (`CRASH_AT`, see
 * functions/lib/crash-points.ts) at which the process SIGKILLs itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PINNED_NOW } from './pinned-clock';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface Spawned {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
  /** Resolves with the signal or exit code once the process has gone. */
  exited: Promise<string>;
}

function quiet(output: string): string {
  return output
    .split('\n')
    .filter((line) => !/NodeVersion|versions published|require node|To continue|and security|More information|trace-warnings|^\s*$/.test(line))
    .join('\n');
}

export function spawnProduct(dataDir: string, env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, CLOCK_START: PINNED_NOW.toISOString(), HTTP_PORT: '0', DYNAMODB_PORT: '0', STEPFUNCTIONS_PORT: '0', SES_PORT: '0', CRASH_AT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  return { child, output: () => output, exited };
}

/** Starts the product and waits until it says it is up (60 s at most). */
export async function startProduct(dataDir: string, env: Record<string, string> = {}): Promise<Spawned> {
  const { child, output, exited } = spawnProduct(dataDir, env);
  const deadline = Date.now() + 60_000;
  while (!/Stop with Ctrl\+C/.test(output())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited early (${child.exitCode ?? child.signalCode}):\n${quiet(output())}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in 60 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /Web pages\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
  const token = /Bearer (\S+)\)/.exec(output())?.[1];
  if (!url || !token) throw new Error(`Could not read the URL and token from:\n${output()}`);
  return { child, url, token, output, exited };
}

/** Waits for a process that is expected to kill itself (30 s at most). */
export async function crashed(exited: Promise<string>): Promise<string> {
  return Promise.race([exited, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('The process did not crash within 30 s')), 30_000).unref())]);
}

export async function stop(started: { child: ChildProcess; exited: Promise<string> }): Promise<void> {
  if (started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGKILL');
  await started.exited;
}

export async function getJson<T>(started: Spawned, path: string): Promise<T> {
  const response = await fetch(`${started.url}${path}`, { headers: { authorization: `Bearer ${started.token}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Tests listen on random ports, so a link from before a restart is pointed at the new one. */
export function onServer(link: string, started: Spawned): string {
  const url = new URL(link);
  return `${started.url}${url.pathname}${url.search}`;
}

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
