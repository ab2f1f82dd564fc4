/**
 * What ships is what is tested: `cdk synth` (the real CLI, bundling by esbuild as for a deploy)
 * writes the Lambda bundles to a temporary cloud assembly, and the local runtime runs those very
 * files — each in its own worker with the environment the template gives it — instead of the
 * handlers' source. The events are the ones AWS sends: API Gateway's HTTP API payload 2.0 (cookies
 * in `event.cookies`, a JWT authorizer's claims) and Step Functions' `lambda:invoke` Payload.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetExecutionHistoryCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOCATIONS, OAKFIELD, Product, QIM_ARRANGEMENT } from '../support/product';
import { demoContracts, demoRatingsCsv } from '../../local/demo';
import { readCloudAssembly } from '../../local/bundles';
import { ingestUploadedRatings } from '../../functions/ladder/ingest-upload';
import { escalationPort } from '../../functions/ladder/cases';
import { PROJECT_ROOT } from '../../infra/paths';

const TOM = 'tom.reid@westshire.example.gov.uk';
const MANAGER = demoContracts().find((contract) => contract.locationId === OAKFIELD)!.registeredManager!.email;

let assembly: string;
let memoFolder: string;
let product: Product;

beforeAll(async () => {
  // Prepare: one synth for the file (about 11 s), into a folder of its own.
  assembly = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  await promisify(execFile)(join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', assembly], { cwd: PROJECT_ROOT });
  memoFolder = mkdtempSync(join(tmpdir(), 'memo-'));
  product = await Product.start({ bundles: assembly, mailSimulator: { bounce: [MANAGER] }, memoPublish: { folder: memoFolder } });
  // Ratings arrive through the source ingestion (there is no S3 here for the bundled upload);
  // every step of the cases it opens runs in the bundles.
  const { deps } = product.runtime;
  await ingestUploadedRatings(deps, escalationPort(deps), { fileName: 'ratings.csv', body: Buffer.from(demoRatingsCsv(DEMO_LOCATIONS.filter((l) => l.locationId === OAKFIELD))) });
  await product.runtime.idle();
});

afterAll(async () => {
  await product?.close();
  if (assembly) rmSync(assembly, { recursive: true, force: true });
  if (memoFolder) rmSync(memoFolder, { recursive: true, force: true });
});

describe('the synthesized bundles on the local runtime', () => {
  it('are what runs: every function of the template, from its asset folder', () => {
    // Assess
    expect(product.runtime.lambdaCode).toBe('bundles');
    const functions = readCloudAssembly(assembly);
    expect([...functions.keys()].sort()).toEqual(['http-api', 'mail-events', 'memo-publish', 'ratings-import', 'workflow-step']);
    for (const spec of functions.values()) expect(spec.entry.startsWith(assembly)).toBe(true);
  });

  it('run ladder steps from the emailed links: the notice is approved and sent, the QIM arranged', async () => {
    // Act: the officer's link (GET and POST through the bundled http-api), then the bundled steps.
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    // Assess
    const view = await product.caseFor(OAKFIELD);
    expect(product.allMail().filter((email) => /^Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    expect(product.allMail().some((email) => /Quality Improvement Meeting/.test(email.subject) && /Invitation/i.test(email.subject))).toBe(true);
    expect(view.case.waitingOn?.step).toBe('Record QIM Outcome');
    expect(view.case.lastFailure).toBeUndefined();
  });

  it("report a bounce from SNS's event (the bundled mail-events): the letter is marked and the officer told", async () => {
    // Assess: the notice to the Registered Manager bounced (the SES stand-in's simulator).
    const view = await product.caseFor(OAKFIELD);
    const notice = view.emails.find((email) => email.kind === 'qualityImprovementNotice');
    expect(notice?.feedback).toEqual([expect.objectContaining({ type: 'bounce', recipients: [MANAGER] })]);
    expect(product.mailTo(TOM, /^Not delivered: "Formal Quality Improvement Notice/).body.text).toContain(MANAGER);
  });

  it('render a page for a session cookie and accept its form (the cookie arrives in event.cookies)', async () => {
    // Prepare
    const login = await fetch(`${product.url}/login?token=${product.runtime.adminToken}`, { redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const view = await product.caseFor(OAKFIELD);
    // Act
    const page = await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    const board = await (await fetch(`${product.url}/board`, { headers: { cookie, accept: 'text/html' } })).text();
    const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(board)?.[1] ?? '';
    const year = String(product.runtime.clock.now().getUTCFullYear() + 1);
    const posted = await fetch(`${product.url}/board-meetings/schedule`, {
      method: 'POST',
      headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, 'schedule-date-day': '3', 'schedule-date-month': '3', 'schedule-date-year': year }).toString(),
      redirect: 'manual',
    });
    // Assess: the page is the case's; the form token rendered for this session is accepted (a
    // handler blind to event.cookies renders it for no session and refuses the post, 403).
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Oakfield');
    expect(csrfToken).not.toBe('');
    expect(posted.status, await posted.text()).toBe(303);
  });

  it('publish the memo (the bundled memo-publish, through S3 PutObject): the bytes the bundled /memo.csv serves', async () => {
    // Act
    const publication = await product.runtime.publishMemo();
    // Assess
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    expect(publication.written).toEqual([`s3://memo-local/memo/${today}.csv`, 's3://memo-local/memo/latest.csv']);
    const login = await fetch(`${product.url}/login?token=${product.runtime.adminToken}`, { redirect: 'manual' });
    const served = Buffer.from(await (await fetch(`${product.url}/memo.csv`, { headers: { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]! } })).arrayBuffer());
    expect(served.subarray(0, 20).toString('utf8')).toContain('schema_version');
    expect(readFileSync(join(memoFolder, 'memo', 'latest.csv')).equals(served)).toBe(true);
    expect(readFileSync(join(memoFolder, 'memo', `${today}.csv`)).equals(served)).toBe(true);
  });

  it('keep error names: an unknown case is a 404 {"error":"NotFound"}', async () => {
    // Act
    const response = await product.api('GET', '/api/cases/no-such-case');
    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'NotFound' });
  });

  it("keep error names in the workflow: a step's failure is recorded under the error's real name", async () => {
    // Act: an execution for a case that is not on record; the first step refuses it.
    const { sfn } = product.runtime.deps;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: product.runtime.stateMachineArn, name: 'no-such-case', input: JSON.stringify({ caseId: 'no-such-case', stage: 'informal' }) }),
    );
    await product.runtime.idle();
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    await sfn.send(new StopExecutionCommand({ executionArn }));
    // Assess
    const failed = history.events?.find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails?.error).toBe('BadInput');
    expect(JSON.parse(failed?.taskFailedEventDetails?.cause ?? '{}')).toMatchObject({ errorType: 'BadInput', errorMessage: 'Case no-such-case does not exist' });
  });
});
