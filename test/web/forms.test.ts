/**
 * The pieces the pages' forms and downloads rest on, without a server: multipart parsing, the
 * CSRF check, CSV cells, dates typed into a GOV.UK date input, and the ladder picture.
 */
import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../functions/http-api/app';
import { checkPageForm, FormFields, pageFormToken, parseMultipart } from '../../functions/web/forms';
import { csvCell, memoCases } from '../../functions/web/memo';
import { readDate } from '../../functions/web/components';
import { ladderPicture } from '../../functions/web/ladder-picture';
import { cleanFileName } from '../../functions/web/ratings-page';
import type { CaseSummary } from '../../functions/web/data';

const KEY = Buffer.alloc(32, 7);

function request(headers: Record<string, string>): HttpRequest {
  return { method: 'POST', path: '/board-meetings/schedule', rawQuery: '', query: {}, headers, body: '', sourceIp: '127.0.0.1' };
}

describe('multipart forms', () => {
  it('reads text fields and a binary file exactly', () => {
    const file = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x00]);
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="csrfToken"\r\n\r\nabc\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="ratingsFile"; filename="ratings.ods"\r\nContent-Type: application/vnd.oasis.opendocument.spreadsheet\r\n\r\n'),
      file,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const form = parseMultipart('multipart/form-data; boundary=XyZ', body);
    expect(form.fields).toEqual({ csrfToken: 'abc' });
    expect(form.files.ratingsFile?.fileName).toBe('ratings.ods');
    expect(form.files.ratingsFile?.body.equals(file)).toBe(true);
  });

  it('refuses a body without its boundary or cut short', () => {
    expect(() => parseMultipart('multipart/form-data', Buffer.from('x'))).toThrow(/boundary/);
    expect(() => parseMultipart('multipart/form-data; boundary=b', Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished'))).toThrow(/cut short/);
  });

  it('keeps repeated fields (checkboxes) in a urlencoded form', () => {
    const fields = new FormFields('attendees=a&attendees=b&notes=+hello+');
    expect(fields.all('attendees')).toEqual(['a', 'b']);
    expect(fields.get('notes')).toBe('hello');
    expect(fields.get('missing')).toBe('');
  });

  it('makes an uploaded file name safe to keep and show', () => {
    expect(cleanFileName('C:\\Users\\me\\My ratings <1>.csv')).toBe('My_ratings_1_.csv');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('')).toBe('upload.csv');
  });
});

describe('CSRF', () => {
  const session = { cookie: 'session=abc', host: '127.0.0.1:8080' };
  const token = pageFormToken(KEY, request(session), 'officer', 'board-schedule');

  it('accepts the token rendered for this session and form', () => {
    expect(checkPageForm(KEY, request(session), 'officer', 'board-schedule', token)).toBeUndefined();
    // Under Referrer-Policy no-referrer a same-origin post says Origin: null.
    expect(checkPageForm(KEY, request({ ...session, origin: 'null', 'sec-fetch-site': 'same-origin' }), 'officer', 'board-schedule', token)).toBeUndefined();
  });

  it('refuses another form, session, user or site', () => {
    expect(checkPageForm(KEY, request(session), 'officer', 'board-record', token)).toBe('badToken');
    expect(checkPageForm(KEY, request({ ...session, cookie: 'session=other' }), 'officer', 'board-schedule', token)).toBe('badToken');
    expect(checkPageForm(KEY, request(session), 'someone-else', 'board-schedule', token)).toBe('badToken');
    expect(checkPageForm(KEY, request({ host: session.host }), 'officer', 'board-schedule', token)).toBe('noSession');
    expect(checkPageForm(KEY, request({ ...session, origin: 'https://evil.example' }), 'officer', 'board-schedule', token)).toBe('crossSite');
    expect(checkPageForm(KEY, request({ ...session, 'sec-fetch-site': 'cross-site' }), 'officer', 'board-schedule', token)).toBe('crossSite');
    expect(checkPageForm(KEY, request(session), 'officer', 'board-schedule', undefined)).toBe('badToken');
  });
});

describe('CSV cells', () => {
  it('quotes every cell, doubles quotes, and defuses formulas', () => {
    expect(csvCell('Hawthorn "Care", Ltd')).toBe('"Hawthorn ""Care"", Ltd"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}SUM(A1)`)).toBe(`"'${start}SUM(A1)"`);
    expect(csvCell('Line one\nline two')).toBe('"Line one\nline two"');
  });
});

describe('dates typed into a date input', () => {
  const fields = (day: string, month: string, year: string) => new FormFields(new URLSearchParams({ 'd-day': day, 'd-month': month, 'd-year': year }).toString());
  it('reads real dates and nothing else', () => {
    expect(readDate(fields('3', '3', '2027'), 'd')).toBe('2027-03-03');
    expect(readDate(fields('29', '2', '2028'), 'd')).toBe('2028-02-29');
    expect(readDate(fields('29', '2', '2027'), 'd')).toBeUndefined();
    expect(readDate(fields('', '', ''), 'd')).toBeUndefined();
    expect(readDate(fields('1', '13', '2027'), 'd')).toBeUndefined();
  });
});

describe('the memo list', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const summary = (locationId: string, openedAt: string, memo?: CaseSummary['memo']): CaseSummary => ({
    caseId: `${locationId}-${openedAt}`,
    locationId,
    providerId: 'p',
    status: 'open',
    stage: 'qim',
    leadOfficer: 'o',
    openedAt,
    deadlines: {},
    updatedAt: openedAt,
    ...(memo ? { memo } : {}),
  });

  it('lists each location once, from its newest case with a memo entry; GREEN only while recent', () => {
    const listed = memoCases(
      [
        summary('a', '2026-01-01', { rag: 'RED', addedAt: '2026-01-02' }),
        summary('a', '2026-06-01', { rag: 'AMBER', addedAt: '2026-06-02' }),
        summary('b', '2026-01-01', { rag: 'GREEN', addedAt: '2026-01-02' }),
        summary('c', '2026-10-01', { rag: 'GREEN', addedAt: '2026-11-01' }),
        summary('d', '2026-10-01'),
      ],
      now,
    );
    expect(listed.map((record) => [record.locationId, record.memo?.rag])).toEqual([
      ['a', 'AMBER'],
      ['c', 'GREEN'],
    ]);
  });
});

describe('the ladder picture', () => {
  it('marks exactly the current rung, and the rung a safeguarding case returns to', () => {
    const onBoard = ladderPicture({ stage: 'board', status: 'open' }).value;
    expect(onBoard.match(/aria-current="step"/g)).toHaveLength(1);
    expect(onBoard).toMatch(/aria-current="step"><span class="app-ladder__name">Referred to the Board/);
    const safeguarding = ladderPicture({ stage: 'safeguarding', status: 'open', returnStage: 'qim' }).value;
    expect(safeguarding.match(/aria-current="step"/g)).toHaveLength(1);
    expect(safeguarding).toMatch(/app-ladder__aside--current" aria-current="step"/);
    expect(safeguarding).toMatch(/app-ladder__rung--left"><span class="app-ladder__name">Quality Improvement Meeting<\/span> <strong class="govuk-tag govuk-tag--grey">Returns here/);
  });
});
