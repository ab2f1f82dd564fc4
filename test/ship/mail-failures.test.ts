/**
 * When mail cannot go at all — the SES sandbox refusing an unverified recipient, or throttling
 * that outlasts every retry — not even the administrator's alert: no execution of a case ends in
 * FAILED. The case waits, its page says why, and the administrator's retry still works.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEADOWBANK, OAKFIELD, Product } from '../support/product';

const TOM = 'tom.reid@westshire.example.gov.uk';
const AISHA = 'aisha.khan@westshire.example.gov.uk';
const ADMIN = 'escalation.admin@westshire.example.gov.uk';

async function executionStatus(product: Product, locationId: string): Promise<string | undefined> {
  const view = await product.caseFor(locationId);
  const described = await product.runtime.deps.sfn.send(new DescribeExecutionCommand({ executionArn: view.case.executions.at(-1)!.executionArn }));
  return described.status;
}

async function casePage(product: Product, caseId: string): Promise<string> {
  const response = await fetch(`${product.url}/cases/${caseId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}`, accept: 'text/html' } });
  expect(response.status).toBe(200);
  return (await response.text()).replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

describe('when SES refuses every message (an unverified recipient in the sandbox)', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('the case waits with the reason on its page, and the retry offered there finishes the step', async () => {
    // Prepare: from the approval on, SES rejects everything, the administrator's alert included.
    const approve = product.linkIn(product.mailTo(TOM, /Approve Quality Improvement Notice — Oakfield/), 'approve');
    product.runtime.ses.failNext(10_000, 'MessageRejected');
    // Act
    const page = await (await fetch(approve)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)![1]!;
    await fetch(approve, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash: /name="letterHash" value="([^"]+)"/.exec(page)?.[1] ?? '' }).toString() });
    await product.runtime.idle();
    await product.advance('2 hours');
    // Assess: still running, waiting on the administrator, and the page says why.
    expect(await executionStatus(product, OAKFIELD)).toBe('RUNNING');
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn).toMatchObject({ step: 'Send Quality Improvement Notice: Await Retry', who: 'administrator' });
    expect(view.case.mailProblem).toMatchObject({ step: 'Send Quality Improvement Notice: Await Retry', to: [ADMIN] });
    expect(product.actions(view)).toContain('email not sent');
    const html = await casePage(product, view.case.caseId);
    expect(html).toContain('Mail problems');
    expect(html).toMatch(/An email for "Send Quality Improvement Notice: Await Retry" to escalation\.admin@westshire\.example\.gov\.uk could not be sent on .*MessageRejected/);
    const retry = /href="([^"]*\/act\/[^"]+\/retry\?[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    expect(retry).toBeDefined();

    // Act: SES takes mail again; the administrator retries from the case page.
    product.runtime.ses.clearFaults();
    const confirm = await (await fetch(`${product.url}${retry!}`)).text();
    const token = /name="formToken" value="([^"]+)"/.exec(confirm)![1]!;
    const done = await fetch(`${product.url}${retry!}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `formToken=${token}` });
    await product.runtime.idle();
    // Assess: the step ran once, the case moved on, the problem is gone from the page.
    expect(done.status).toBe(200);
    const after = await product.caseFor(OAKFIELD);
    expect(after.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
    expect(after.case.mailProblem).toBeUndefined();
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    expect(await casePage(product, after.case.caseId)).not.toContain('Mail problems');
  });
});

describe('when the administrator cannot even be asked (a fault that outlasts every retry)', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK]);
  });
  afterAll(async () => product.close());

  it('the case pauses instead of failing and asks the administrator again a day later', async () => {
    // Prepare: the step fails outright; then the request to the administrator fails nine times
    // running (its first try and all eight retries, about 1.6 hours).
    product.runtime.lambdaFaults.push({ action: 'confirmInformalOutcome', error: 'InvalidWorkflowEvent', times: 1 });
    product.runtime.lambdaFaults.push({ action: 'requestDecision', error: 'Lambda.ServiceException', times: 9 });
    // Act
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'formalStage');
    for (let i = 0; i < 3; i += 1) await product.advance('1 hour');
    // Assess: paused, not failed; the failure is on the record.
    expect(await executionStatus(product, MEADOWBANK)).toBe('RUNNING');
    expect((await product.caseFor(MEADOWBANK)).case.lastFailure).toMatchObject({ step: 'Confirm Informal Outcome' });
    expect(() => product.mailTo(ADMIN, /Confirm Informal Outcome: Await Retry/)).toThrow();
    // Act: a day later
    await product.advance('1 day');
    // Assess: asked again, and the retry finishes the step.
    await product.officerDecides(ADMIN, /Confirm Informal Outcome: Await Retry/, 'retry');
    expect(await executionStatus(product, MEADOWBANK)).toBe('RUNNING');
    expect((await product.caseFor(MEADOWBANK)).case.waitingOn?.step).toBe('Approve Quality Improvement Notice');
  });
});
