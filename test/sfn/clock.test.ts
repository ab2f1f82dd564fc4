import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, parseDuration } from '../../local/clock';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clocks: VirtualClock[] = [];
const dirs: string[] = [];
const newClock = (options?: { offsetFile?: string }): VirtualClock => {
  const clock = new VirtualClock(options);
  clocks.push(clock);
  return clock;
};

afterEach(() => {
  clocks.splice(0).forEach((c) => c.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('VirtualClock', () => {
  it('runs on real time until advanced, then keeps the offset', async () => {
    const clock = newClock();
    expect(clock.offsetMs()).toBe(0);
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(1000);
    await clock.advance(3 * DAY);
    expect(clock.offsetMs()).toBeGreaterThan(3 * DAY - 1000);
    expect(clock.offsetMs()).toBeLessThan(3 * DAY + 1000);
  });

  it('fires due timers in time order, each at its own time, and leaves later ones pending', async () => {
    const clock = newClock();
    const start = clock.now().getTime();
    const fired: Array<{ name: string; lateBy: number }> = [];
    const at = (hours: number, name: string): void => {
      const due = start + hours * HOUR;
      clock.setTimer(new Date(due), () => fired.push({ name, lateBy: clock.now().getTime() - due }));
    };
    at(3, 'third');
    at(1, 'first');
    at(10, 'later');
    at(2, 'second');
    await clock.advance(5 * HOUR);
    expect(fired.map((f) => f.name)).toEqual(['first', 'second', 'third']);
    for (const f of fired) expect(f.lateBy).toBeLessThan(1000); // saw (about) its own due time, not +5h
    expect(clock.pendingTimers()).toBe(1);
  });

  it('fires a timer set by a fired callback when that one is also due', async () => {
    const clock = newClock();
    const start = clock.now().getTime();
    const fired: string[] = [];
    clock.setTimer(new Date(start + HOUR), () => {
      fired.push('first');
      clock.setTimer(new Date(clock.now().getTime() + HOUR), () => fired.push('chained'));
      clock.setTimer(new Date(clock.now().getTime() + 5 * HOUR), () => fired.push('too late'));
    });
    await clock.advance(3 * HOUR);
    expect(fired).toEqual(['first', 'chained']);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('lets a settler finish the work a timer started before the next timer fires', async () => {
    const clock = newClock();
    const start = clock.now().getTime();
    const log: string[] = [];
    let pending: Promise<void> = Promise.resolve();
    clock.addSettler(() => pending);
    clock.setTimer(new Date(start + HOUR), () => {
      pending = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // real async work
        log.push('work done');
        clock.setTimer(new Date(clock.now().getTime() + HOUR), () => log.push('follow-up'));
      })();
    });
    await clock.advance(4 * HOUR);
    expect(log).toEqual(['work done', 'follow-up']);
  });

  it('never fires a timer beyond 24.8 days early (Node setTimeout overflow)', async () => {
    const clock = newClock();
    let fired = false;
    clock.setTimer(new Date(clock.now().getTime() + 200 * DAY), () => (fired = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(false);
    await clock.advance(199 * DAY);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
    await clock.advance(DAY);
    expect(fired).toBe(true);
  });

  it('fires short timers on real time, and cancelled timers never', async () => {
    const clock = newClock();
    let fired = false;
    let cancelledFired = false;
    clock.setTimer(new Date(clock.now().getTime() + 20), () => (fired = true));
    clock.setTimer(new Date(clock.now().getTime() + 10), () => (cancelledFired = true)).cancel();
    const deadline = Date.now() + 2000;
    while (!fired && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toBe(true);
    expect(cancelledFired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not go backwards when asked to advance to the past', async () => {
    const clock = newClock();
    await clock.advance(DAY);
    const offset = clock.offsetMs();
    await clock.advanceTo(new Date(Date.now() - DAY));
    expect(clock.offsetMs()).toBeGreaterThanOrEqual(offset);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('persists its offset atomically so a restart keeps virtual time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vclock-'));
    dirs.push(dir);
    const offsetFile = join(dir, 'clock.json');
    const first = newClock({ offsetFile });
    await first.advance(30 * DAY);
    const saved = JSON.parse(readFileSync(offsetFile, 'utf8')) as { offsetMs: number };
    expect(saved.offsetMs).toBe(first.offsetMs());
    expect(readdirSync(dir)).toEqual(['clock.json']); // no temp file left behind
    const second = newClock({ offsetFile });
    expect(second.offsetMs()).toBe(first.offsetMs());
    expect(second.offsetMs()).toBeGreaterThan(30 * DAY - 1000);
  });
});

describe('parseDuration', () => {
  const from = new Date('2025-03-15T10:00:00.000Z');
  it.each([
    ['6 months', '2025-09-15T10:00:00.000Z'],
    ['P6M', '2025-09-15T10:00:00.000Z'],
    ['1 year', '2026-03-15T10:00:00.000Z'],
    ['3d', '2025-03-18T10:00:00.000Z'],
    ['12h', '2025-03-15T22:00:00.000Z'],
    ['90m', '2025-03-15T11:30:00.000Z'],
    ['2 weeks', '2025-03-29T10:00:00.000Z'],
    ['P1DT12H', '2025-03-16T22:00:00.000Z'],
    ['PT90M', '2025-03-15T11:30:00.000Z'],
    ['1d 12h', '2025-03-16T22:00:00.000Z'],
    ['30s', '2025-03-15T10:00:30.000Z'],
  ])('%s', (text, expected) => {
    expect(parseDuration(text)(from).toISOString()).toBe(expected);
  });

  it('counts calendar months, clamping to the month end', () => {
    expect(parseDuration('6 months')(new Date('2025-08-31T00:00:00Z')).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });

  it.each(['', 'soon', '6 fortnights', 'P', 'PT', '1.5 months'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});
