/**
 * The audit trail cannot be cut quietly: tampering behind the product's back, reported by
 * GET /admin/audit/verify and `npm run audit:verify` against the newest signed checkpoint, without
 * ever failing as a whole (an event missing its hash used to answer 500 for everyone).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTableAudit } from '../../functions/audit/checkpoint';
import type { AuditReport } from '../../functions/audit/verify';
import { keys } from '../../functions/lib/table';
import { startRuntime } from '../../local/runtime';
import { demoContracts } from '../../local/demo';
import { HOMECARE, MEADOWBANK, OAKFIELD, Product } from '../support/product';
import { PINNED_NOW } from '../support/pinned-clock';

async function verify(product: Product): Promise<{ status: number; report: AuditReport }> {
  const response = await product.api('GET', '/admin/audit/verify');
  return { status: response.status, report: (await response.json()) as AuditReport };
}

const found = (report: AuditReport) => report.breaks.map((item) => `${item.caseId} ${item.reason}`);

describe('GET /admin/audit/verify', () => {
  let product: Product;
  const ids: Record<string, string> = {};
  /** The contracts' and providers' chains the demo register wrote: chains beside the three cases'. */
  let register = 0;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK, OAKFIELD, HOMECARE]);
    for (const location of [MEADOWBANK, OAKFIELD, HOMECARE]) ids[location] = (await product.caseFor(location)).case.caseId;
    const chains = await readTableAudit(product.runtime.deps.store.doc, product.runtime.deps.store.tableName);
    register = chains.filter((chain) => /^(contract|provider)-/.test(chain.caseId)).length;
    expect(register).toBeGreaterThan(0);
  });
  afterAll(async () => product.close());

  const table = () => ({ doc: product.runtime.deps.store.doc, TableName: product.runtime.deps.store.tableName });

  it('checks the table against the newest checkpoint and writes the next one', async () => {
    const first = await verify(product);
    expect(first.status).toBe(200);
    // The start-up checkpoint (#1) was taken before the register was loaded and the cases opened.
    const chains = 3 + register;
    expect(first.report).toMatchObject({ ok: true, cases: chains, checkpoint: { number: 1, cases: 0 }, casesSinceCheckpoint: chains, written: { number: 2, cases: chains } });
    const second = await verify(product);
    expect(second.report).toMatchObject({ ok: true, checkpoint: { number: 2, cases: chains }, casesSinceCheckpoint: 0, written: { number: 3 } });
    const requested = await product.api('POST', '/admin/audit/checkpoint');
    expect(requested.status).toBe(201);
    expect(((await requested.json()) as AuditReport).written?.number).toBe(4);
  });

  it('reports a malformed event with a 200 and the report (it was a 500 for everyone), and every other kind of cut per case', async () => {
    const { doc, TableName } = table();
    const homecare = await product.caseFor(HOMECARE);
    const oakfield = await product.caseFor(OAKFIELD);
    // An event loses its hash.
    const { hash: _hash, ...unhashed } = homecare.audit[0]!;
    await doc.send(new PutCommand({ TableName, Item: { ...keys.auditEvent(ids[HOMECARE]!, 1), ...unhashed } }));
    // Meadowbank's head record goes; Oakfield's case record goes, and its newest event with the head rewritten to match.
    await doc.send(new DeleteCommand({ TableName, Key: keys.auditHead(ids[MEADOWBANK]!) }));
    await doc.send(new DeleteCommand({ TableName, Key: keys.case(ids[OAKFIELD]!) }));
    const last = oakfield.audit.at(-1)!;
    const before = oakfield.audit.at(-2)!;
    await doc.send(new DeleteCommand({ TableName, Key: keys.auditEvent(ids[OAKFIELD]!, last.seq) }));
    await doc.send(new PutCommand({ TableName, Item: { ...keys.auditHead(ids[OAKFIELD]!), seq: before.seq, hash: before.hash } }));

    const { status, report } = await verify(product);
    expect(status).toBe(200);
    expect(report.ok).toBe(false);
    expect(found(report).sort()).toEqual(
      [`${ids[HOMECARE]} malformed-event`, `${ids[MEADOWBANK]} missing-head`, `${ids[OAKFIELD]} missing-case-record`, `${ids[OAKFIELD]} truncated`].sort(),
    );
    expect(report.breaks.find((item) => item.reason === 'malformed-event')?.message).toMatch(/hash/);
    // Every chain was still counted and checked.
    expect(report.cases).toBe(3 + register);

    // The checkpoint written after that verify kept the old heads: the same cuts are reported again.
    expect(found((await verify(product)).report).sort()).toEqual(found(report).sort());
  });

  it('a whole case deleted is reported as missing from the checkpoint', async () => {
    const { doc, TableName } = table();
    const view = await product.caseFor(MEADOWBANK);
    await doc.send(new DeleteCommand({ TableName, Key: keys.case(ids[MEADOWBANK]!) }));
    for (const event of view.audit) await doc.send(new DeleteCommand({ TableName, Key: keys.auditEvent(ids[MEADOWBANK]!, event.seq) }));
    const { report } = await verify(product);
    expect(found(report)).toContain(`${ids[MEADOWBANK]} case-missing`);
    expect(report.cases).toBe(2 + register);
    expect(report.checkpoint?.cases).toBe(3 + register);
  });

  it("a contract's record deleted behind the product's back leaves its chain reported; a provider's chain needs no record", async () => {
    const { doc, TableName } = table();
    const [contract] = await product.runtime.deps.store.listContracts();
    await doc.send(new DeleteCommand({ TableName, Key: keys.contract(contract!.contractId) }));
    const { report } = await verify(product);
    expect(found(report)).toContain(`contract-${contract!.contractId} missing-case-record`);
    expect(found(report).filter((item) => item.startsWith('provider-'))).toEqual([]);
  });
});

describe('npm run audit:verify', () => {
  const run = promisify(execFile);
  const root = new URL('../..', import.meta.url).pathname;
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATA_DIR: dataDir };
    return run(process.execPath, ['--import', 'tsx', 'local/cli.ts', 'audit-verify'], { cwd: root, env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  }

  it('exits 0 when intact, 1 with each break named, through the running product or from the stopped data folder; 2 when there is nothing to verify', async () => {
    const empty = await cli();
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/nothing to verify/);

    const runtime = await startRuntime({ dataDir, clockStart: PINNED_NOW });
    const product = new Product(runtime);
    try {
      for (const contract of demoContracts()) await runtime.deps.store.putContract(contract);
      await product.ingestDemoRatings([OAKFIELD]);
      writeFileSync(join(dataDir, 'runtime.json'), JSON.stringify({ endpoints: runtime.endpoints }));
      const intact = await cli();
      expect(intact.stdout).toMatch(/Every chain is intact/);
      expect(intact.code).toBe(0);

      // The newest event cut and the head rewritten to match: the table alone looks whole.
      const view = await product.caseFor(OAKFIELD);
      const { doc, tableName: TableName } = runtime.deps.store;
      const keep = view.audit.at(-2)!;
      for (const event of view.audit.slice(-1)) await doc.send(new DeleteCommand({ TableName, Key: keys.auditEvent(view.case.caseId, event.seq) }));
      await doc.send(new PutCommand({ TableName, Item: { ...keys.auditHead(view.case.caseId), seq: keep.seq, hash: keep.hash } }));
      const running = await cli();
      expect(running.code).toBe(1);
      expect(running.stdout).toMatch(new RegExp(`case ${view.case.caseId}, seq ${view.audit.at(-1)!.seq}: truncated`));
    } finally {
      await runtime.close();
    }
    rmSync(join(dataDir, 'runtime.json'));

    // Stopped: the CLI opens the data folder itself, reports the same, and writes a checkpoint.
    const folder = join(dataDir, 'audit-checkpoints');
    const files = readdirSync(folder).length;
    const stopped = await cli();
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/truncated/);
    expect(readdirSync(folder)).toHaveLength(files + 1);

    // A forged newest checkpoint (heads moved to the cut chain, signature kept) is named, and the
    // one before it is used.
    const newest = join(folder, readdirSync(folder).sort().at(-1)!);
    chmodSync(newest, 0o644);
    const envelope = JSON.parse(readFileSync(newest, 'utf8')) as { checkpoint: { heads: Record<string, unknown> } };
    envelope.checkpoint.heads = {};
    writeFileSync(newest, JSON.stringify(envelope));
    const forged = await cli();
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/bad checkpoint .*signature does not match/);
    expect(forged.stdout).toMatch(/truncated/);
  });
});
