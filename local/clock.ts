/**
 * The local runtime's time. `now()` is the system clock plus an offset that only ever grows, so
 * "six months later" is one `advance()` away. Timers are kept here, not in `setTimeout`: Node fires a
 * `setTimeout` above 2^31-1 ms (24.8 days) immediately, and six-month timers are normal for us.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { addCalendarMonths, type Clock } from '../functions/lib/clock';

export interface TimerHandle {
  cancel(): void;
}

export interface SchedulingClock extends Clock {
  setTimer(at: Date, fire: () => void): TimerHandle;
  /**
   * Optional: lets a scheduler (the Step Functions engine) tell `advance()` when the work a fired
   * timer started has settled, so that follow-up timers (a retry's back-off) see the right time.
   * Returns an unsubscribe function.
   */
  addSettler?(settle: () => Promise<void>): () => void;
}

/** Never arm a real timer further ahead than this: re-arming on wake keeps us under Node's cap. */
const MAX_REAL_DELAY_MS = 60 * 60 * 1000;

interface PendingTimer {
  at: number;
  seq: number;
  fire: () => void;
}

export class VirtualClock implements SchedulingClock {
  private offset = 0;
  private readonly timers: PendingTimer[] = [];
  private readonly settlers = new Set<() => Promise<void>>();
  private realTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private advancing: Promise<void> = Promise.resolve();
  private readonly offsetFile: string | undefined;

  /**
   * `startAt` pins where virtual time begins (tests run on a fixed date, whatever the machine's
   * date). It applies only to a fresh clock: a clock restored from `offsetFile` carries on where it
   * stopped, and a pinned start is written there at once so a restart keeps it.
   */
  constructor(options: { offsetFile?: string; startAt?: Date } = {}) {
    this.offsetFile = options.offsetFile;
    const saved = this.offsetFile ? readOffset(this.offsetFile) : undefined;
    if (saved !== undefined) {
      this.offset = saved;
    } else if (options.startAt) {
      if (!Number.isFinite(options.startAt.getTime())) throw new RangeError('The clock cannot start at an invalid date');
      this.offset = options.startAt.getTime() - Date.now();
      if (this.offsetFile) writeFileAtomic(this.offsetFile, JSON.stringify({ offsetMs: this.offset }));
    }
  }

  now(): Date {
    return new Date(Date.now() + this.offset);
  }

  offsetMs(): number {
    return this.offset;
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  setTimer(at: Date, fire: () => void): TimerHandle {
    const timer: PendingTimer = { at: at.getTime(), seq: this.seq++, fire };
    // Keep the queue ordered by due time, then by creation, so equal times fire in the order set.
    const index = this.timers.findIndex((t) => t.at > timer.at);
    this.timers.splice(index === -1 ? this.timers.length : index, 0, timer);
    this.arm();
    return {
      cancel: () => {
        const i = this.timers.indexOf(timer);
        if (i !== -1) this.timers.splice(i, 1);
        if (i === 0) this.arm();
      },
    };
  }

  addSettler(settle: () => Promise<void>): () => void {
    this.settlers.add(settle);
    return () => this.settlers.delete(settle);
  }

  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot advance the clock by ${ms} ms`);
    return this.serialise(() => this.moveTo(this.now().getTime() + ms));
  }

  advanceTo(at: Date): Promise<void> {
    return this.serialise(() => this.moveTo(at.getTime()));
  }

  close(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const run = this.advancing.then(step);
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /**
   * Steps time to each due timer in turn, firing it and letting the work it starts settle before
   * the next one, so a timer set by that work (at "now + delay") fires too if still before `target`.
   */
  private async moveTo(target: number): Promise<void> {
    for (;;) {
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.bumpTo(next.at);
      this.timers.shift();
      fireSafely(next);
      await this.settle();
    }
    this.bumpTo(target);
    if (this.offsetFile) writeFileAtomic(this.offsetFile, JSON.stringify({ offsetMs: this.offset }));
    this.arm();
  }

  /** Time never goes backwards: moving "to" a time already passed keeps the current offset. */
  private bumpTo(at: number): void {
    this.offset = Math.max(this.offset, at - Date.now());
  }

  private async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (const settle of [...this.settlers]) await settle();
  }

  /** One real timer, for the earliest virtual timer, capped so long waits are re-armed in steps. */
  private arm(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    const first = this.timers[0];
    if (!first) return;
    const delay = Math.min(Math.max(first.at - this.now().getTime(), 0), MAX_REAL_DELAY_MS);
    this.realTimer = setTimeout(() => this.wake(), delay);
    // The clock alone must not keep a process alive; servers and pending work do that.
    this.realTimer.unref();
  }

  private wake(): void {
    this.realTimer = undefined;
    const now = this.now().getTime();
    while (this.timers[0] && this.timers[0].at <= now) fireSafely(this.timers.shift()!);
    this.arm();
  }
}

function fireSafely(timer: PendingTimer): void {
  try {
    timer.fire();
  } catch (error) {
    // One broken callback must not stop the others (nor an advance() in progress).
    console.error('VirtualClock: a timer callback threw', error);
  }
}

function readOffset(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // first run: no offset yet
  }
  const parsed: unknown = JSON.parse(text);
  const offset = (parsed as { offsetMs?: unknown } | null)?.offsetMs;
  if (typeof offset !== 'number' || !Number.isFinite(offset)) throw new Error(`Bad clock offset file ${file}`);
  return offset;
}

/** Writes to a temporary file then renames it over the target, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS | 'mo' | 'y';

const UNIT_WORDS: Record<string, Unit> = {
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
  w: 'w', week: 'w', weeks: 'w',
  mo: 'mo', month: 'mo', months: 'mo',
  y: 'y', year: 'y', years: 'y',
};

/**
 * Parses "6 months", "P6M", "P1DT12H", "3d", "12h", "90m", "1d 12h" into a function that adds that
 * much to a date. Months and years are calendar months (15 March + 6 months = 15 September);
 * "m" alone is minutes, as in "90m".
 */
export function parseDuration(text: string): (from: Date) => Date {
  const parts = text.trim().toUpperCase().startsWith('P') ? parseIso(text.trim()) : parseHuman(text);
  if (!parts || parts.length === 0) throw new RangeError(`Unrecognised duration: '${text}'`);
  if (parts.some(([amount, unit]) => (unit === 'mo' || unit === 'y') && !Number.isInteger(amount))) {
    throw new RangeError(`Calendar months and years must be whole numbers: '${text}'`);
  }
  return (from) => {
    let result = new Date(from.getTime());
    for (const [amount, unit] of parts) {
      if (unit === 'mo' || unit === 'y') {
        result = addCalendarMonths(result, unit === 'y' ? amount * 12 : amount);
      } else {
        result = new Date(result.getTime() + amount * UNIT_MS[unit]);
      }
    }
    return result;
  };
}

function parseHuman(text: string): Array<[number, Unit]> | undefined {
  if (!/^(\s*\d+(?:\.\d+)?\s*[a-z]+)+\s*$/i.test(text)) return undefined;
  const parts: Array<[number, Unit]> = [];
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) {
    const unit = UNIT_WORDS[match[2]!.toLowerCase()];
    if (!unit) return undefined;
    parts.push([Number(match[1]), unit]);
  }
  return parts;
}

function parseIso(text: string): Array<[number, Unit]> | undefined {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!match || text.toUpperCase() === 'P' || /T$/i.test(text)) return undefined;
  const units: Unit[] = ['y', 'mo', 'w', 'd', 'h', 'm', 's'];
  const parts: Array<[number, Unit]> = [];
  units.forEach((unit, i) => {
    const value = match[i + 1];
    if (value !== undefined) parts.push([Number(value), unit]);
  });
  return parts;
}
