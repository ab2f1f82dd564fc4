/**
 * The contract register import, on the local runtime through the admin API: a register of the shape
 * councils export (Transparency Code columns plus the care columns, a contract over two locations
 * in one cell, one repeated over two rows, an out-of-county contract, an ended one, bad rows), as CSV
 * and as an Excel workbook; preview first, idempotent, and the case's lead officer from the
 * relationship holder.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../local/runtime';
import { PINNED_NOW } from '../support/pinned-clock';
import { fixtureFile } from '../support/fixtures';
import { xlsxWorkbook, type XlsxCell } from '../support/xlsx';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { readCsvStream } from '../../functions/ingest/csv';
import { Readable } from 'node:stream';
import type { RegisterPlan } from '../../functions/council/contracts-import';
import type { Case } from '../../functions/lib/model';

const REGISTER = readFileSync(fixtureFile('council/register.csv'));

async function post(runtime: Runtime, path: string, body: Buffer | string, contentType = 'text/csv'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${runtime.endpoints.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${runtime.adminToken}` },
    body,
  });
  const json = (await response.json()) as Record<string, unknown>;
  await runtime.idle();
  return { status: response.status, json };
}

async function importRegister(runtime: Runtime, body: Buffer | string, options: { apply: boolean; fileName?: string; contentType?: string }): Promise<RegisterPlan> {
  const { status, json } = await post(runtime, `/admin/contracts/import?fileName=${options.fileName ?? 'register.csv'}&apply=${options.apply}`, body, options.contentType);
  expect(status, JSON.stringify(json)).toBe(200);
  return json as unknown as RegisterPlan;
}

/** The fixture as rows of cells, for writing the same register as a workbook. */
async function fixtureRows(): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const row of readCsvStream(Readable.from([REGISTER]))) rows.push(row.cells);
  return rows;
}

describe('the contract register import', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ clockStart: PINNED_NOW });
  });
  afterAll(async () => runtime.close());

  it('previews every change and every bad row with its line and reason, writing nothing', async () => {
    // Act
    const plan = await importRegister(runtime, REGISTER, { apply: false });

    // Assess: the good rows, and nothing on record yet.
    expect(plan.applied).toBe(false);
    expect(plan.summary).toMatchObject({ added: 5, changed: 0, ended: 1, unchanged: 0, rejected: 9 });
    expect(plan.contracts.find((change) => change.contractId === 'WCC-0002')).toMatchObject({ kind: 'added', locationIds: ['1-1000000003', '1-1000000005'], lines: [3, 4] });
    expect(plan.contracts.find((change) => change.contractId === 'WCC-0003')?.locationIds).toEqual(['1-2000000001', '1-2000000002']);
    expect(plan.contracts.find((change) => change.contractId === 'WCC-0005')).toMatchObject({ kind: 'ended', lines: [7] });
    expect(await runtime.deps.store.listContracts()).toEqual([]);
    // Every bad row, by line, with the column and why.
    expect(plan.rejections.map((rejection) => [rejection.line, rejection.field])).toEqual([
      [9, 'Contract Reference'],
      [10, 'Service Type'],
      [11, 'Contract Start Date'],
      [12, 'Relationship Holder'],
      [13, 'Host Authority Email'],
      [14, 'Families Contact Email'],
      [15, 'CQC Location ID'],
      [16, 'Contract Reference'],
      [17, 'CQC Provider ID'],
    ]);
    expect(plan.rejections.find((rejection) => rejection.line === 11)).toMatchObject({ reason: expect.stringMatching(/not a date/), value: '31/02/2025' });
    expect(plan.rejections.find((rejection) => rejection.line === 14)?.reason).toMatch(/mailbox at the provider/);
    expect(plan.rejections.find((rejection) => rejection.line === 16)?.reason).toMatch(/repeats contract WCC-0001 from line 2 with different details/);
    // Transparency Code columns the product does not use are named, not refused.
    expect(plan.unusedColumns).toEqual(expect.arrayContaining(['Organisation Name', 'VAT Not Recoverable', 'SME', 'Contract Type']));
  });

  it('applies the plan; the same file again changes nothing; an edited row is a change naming its fields', async () => {
    // Act
    const applied = await importRegister(runtime, REGISTER, { apply: true });
    const again = await importRegister(runtime, REGISTER, { apply: true });

    // Assess: what went in.
    expect(applied.applied).toBe(true);
    expect(applied.summary).toMatchObject({ added: 5, ended: 1, contactsAdded: 12 });
    const { store } = runtime.deps;
    const block = await store.getContract('WCC-0002');
    expect(block).toMatchObject({ locationIds: ['1-1000000003', '1-1000000005'], relationshipHolder: 'tom-reid', annualSpend: 600_000, startDate: '2023-04-01', marketRisk: true });
    expect((await store.contractForLocation('1-1000000005'))?.contractId).toBe('WCC-0002');
    // The current contract is the live one, not the ended one before it.
    expect((await store.contractForLocation('1-1000000002'))?.contractId).toBe('WCC-0006');
    expect(await store.getContract('WCC-0005')).toMatchObject({ status: 'ended' });
    expect(await store.getContract('WCC-0001')).toMatchObject({ endDate: '2029-03-31', value: 4_992_000 });
    expect(await store.getContract('WCC-0004')).toMatchObject({
      outOfCounty: true,
      hostAuthority: { name: 'Dorset Council', contact: { name: 'Adult Social Care Quality Team', email: 'care.quality@dorset.example.gov.uk', phone: '01305 000 000' } },
    });
    const hawthorn = await store.listContacts('1-900000001');
    expect(hawthorn.map((contact) => `${contact.role}:${contact.locationId ?? '-'}:${contact.name}`).sort()).toEqual([
      'familiesContact:1-1000000001:Meadowbank residents and families',
      'familiesContact:1-1000000002:Oakfield residents and families',
      'nominatedIndividual:-:Peter Hale',
      'owner:-:Margaret Hawthorn',
      'registeredManager:1-1000000001:Ruth Dale',
      'registeredManager:1-1000000002:Dev Patel',
    ]);
    expect((await store.listAudit('contract-WCC-0002')).map((event) => event.action)).toEqual(['contract added from the register']);

    // Idempotent: nothing changed, nothing written, no new audit event.
    expect(again.summary).toMatchObject({ added: 0, changed: 0, ended: 0, unchanged: 6, contactsAdded: 0, contactsChanged: 0 });
    expect(await store.listAudit('contract-WCC-0002')).toHaveLength(1);

    // Act: the council corrects a row's placements and area.
    const edited = REGISTER.toString('utf8').replace('Ashcombe,2025-10-01,2030-09-30,,,,120000,14', 'Westbury,2025-10-01,2030-09-30,,,,120000,16');
    const changed = await importRegister(runtime, edited, { apply: true, fileName: 'register-v2.csv' });
    expect(changed.summary).toMatchObject({ changed: 1, unchanged: 5 });
    expect(changed.contracts.find((change) => change.contractId === 'WCC-0003')).toMatchObject({ kind: 'changed', fields: ['area', 'placements'] });
    expect((await store.listAudit('contract-WCC-0003')).at(-1)?.detail).toMatchObject({ fields: ['area', 'placements'], file: 'register-v2.csv' });
  });

  it('reads the same register from an Excel workbook, dates as date cells', async () => {
    // Prepare: the fixture as an .xlsx, its date columns as real date cells, a banner row above the header.
    const rows = await fixtureRows();
    const header = rows[0]!;
    const dateColumns = new Set(['Contract Start Date', 'Contract End Date', 'End Date Including Extensions'].map((name) => header.indexOf(name)));
    const cells: XlsxCell[][] = rows.map((row, r) =>
      row.map((value, c): XlsxCell => {
        if (r === 0 || !value) return value;
        if (dateColumns.has(c) && /^\d{4}-\d{2}-\d{2}$/.test(value)) return { date: value };
        if (c === 0) return { inline: value };
        return value;
      }),
    );
    const workbook = await xlsxWorkbook([{ name: 'Contracts register', rows: [['Westshire contracts register, exported 2026-11-01'], ...cells] }]);

    // Act
    const fromCsv = await importRegister(runtime, REGISTER, { apply: false });
    const fromXlsx = await importRegister(runtime, workbook, { apply: false, fileName: 'register.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });

    // Assess: the same plan (rows one lower: the banner).
    expect(fromXlsx.format).toBe('xlsx');
    expect(fromXlsx.summary).toEqual(fromCsv.summary);
    expect(fromXlsx.contracts.map((change) => [change.contractId, change.kind, change.fields])).toEqual(fromCsv.contracts.map((change) => [change.contractId, change.kind, change.fields]));
    expect(fromXlsx.rejections.map((rejection) => rejection.line - 1)).toEqual(fromCsv.rejections.map((rejection) => rejection.line));
  });

  it('names every required column a file lacks', async () => {
    const { status, json } = await post(runtime, '/admin/contracts/import?fileName=wrong.csv', 'Contract Reference,Supplier Name\r\nX-1,Someone Ltd\r\n');
    expect(status).toBe(400);
    expect(json.message).toBe('wrong.csv: required columns "CQC Location ID", "Service Type", "Area", "Relationship Holder" missing from the header row');
  });

  it("a new rating opens a case led by the contract's relationship holder (named by email in the register)", async () => {
    // Act: CQC publishes Meadowbank House as Requires improvement.
    const meadowbank = DEMO_LOCATIONS.filter((location) => location.locationId === '1-1000000001');
    const { status } = await post(runtime, '/admin/ingest?fileName=ratings.csv', demoRatingsCsv(meadowbank));
    expect(status).toBe(200);

    // Assess
    const cases = (await (await fetch(`${runtime.endpoints.http}/api/cases`, { headers: { authorization: `Bearer ${runtime.adminToken}` } })).json()) as Case[];
    expect(cases.find((record) => record.locationId === '1-1000000001')).toMatchObject({ leadOfficer: 'aisha-khan', contractId: 'WCC-0001' });
  });
});
