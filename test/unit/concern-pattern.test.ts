/** The policy's concern pattern (policy.concernPattern), as a pure rule. */
import { describe, expect, it } from 'vitest';
import { concernPatternMet, type ConcernPattern } from '../../functions/ladder/concerns';
import { parseConfig } from '../../functions/lib/config';
import { readFileSync } from 'node:fs';

const pattern: ConcernPattern = { count: 3, withinDays: 90, ratedAs: ['Good', 'Outstanding'], action: 'openCase' };
const on = (...days: string[]) => days.map((raisedOn) => ({ raisedOn }));

describe('the concern pattern', () => {
  it('is met by three concerns within 90 days about a location rated Good, counting both ends of the window', () => {
    expect(concernPatternMet(pattern, on('2026-08-19', '2026-10-01', '2026-11-16'), 'Good', '2026-11-16')).toEqual({ met: true, counted: 3 });
  });

  it('is not met by two, nor by three when one is older than the window', () => {
    expect(concernPatternMet(pattern, on('2026-10-01', '2026-11-16'), 'Good', '2026-11-16')).toEqual({ met: false, counted: 2 });
    expect(concernPatternMet(pattern, on('2026-08-18', '2026-10-01', '2026-11-16'), 'Good', '2026-11-16')).toEqual({ met: false, counted: 2 });
  });

  it('leaves out concerns a case has taken up, and locations rated otherwise than the pattern watches', () => {
    const concerns = [...on('2026-10-01', '2026-11-16'), { raisedOn: '2026-11-01', caseId: 'c-1' }];
    expect(concernPatternMet(pattern, concerns, 'Good', '2026-11-16')).toEqual({ met: false, counted: 2 });
    expect(concernPatternMet(pattern, on('2026-10-01', '2026-10-02', '2026-11-16'), 'Requires improvement', '2026-11-16').met).toBe(false);
    expect(concernPatternMet({ ...pattern, ratedAs: ['Not rated'] }, on('2026-10-01', '2026-10-02', '2026-11-16'), undefined, '2026-11-16').met).toBe(true);
  });

  it('is configured and validated with the policy (defaults: 3 in 90 days, Good or Outstanding, tell the lead officer)', () => {
    const raw = JSON.parse(readFileSync(new URL('../../config/local.json', import.meta.url), 'utf8')) as { policy?: Record<string, unknown> };
    expect(parseConfig(raw, 'local.json').policy.concernPattern).toEqual({ count: 3, withinDays: 90, ratedAs: ['Good', 'Outstanding'], action: 'tellLeadOfficer' });
    expect(() => parseConfig({ ...raw, policy: { ...raw.policy, concernPattern: { count: 1 } } }, 'x.json')).toThrow(/policy\.concernPattern\.count/);
  });
});
