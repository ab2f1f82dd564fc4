/**
 * A product with cases on every part of the memo, driven there the way people drive it (ratings
 * upload, officers' email links), plus a provider whose CQC data is hostile markup: the pages and
 * the CSV must show it as text.
 */
import { expect } from 'vitest';
import { demoContracts, demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { Product, QIM_ARRANGEMENT, qimOutcome, HOMECARE, MEADOWBANK, OAKFIELD } from '../support/product';

export { HOMECARE, MEADOWBANK, OAKFIELD };

export const HOSTILE_PROVIDER = '<script>alert(1)</script> & "Co"';
export const HOSTILE_PROVIDER_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;';
export const HOSTILE_LOCATION = '<img src=x onerror=alert(2)> Lodge';
export const HOSTILE_LOCATION_ESCAPED = '&lt;img src=x onerror=alert(2)&gt; Lodge';
export const HOSTILE_NOTE = 'Manager said <b>"fine"</b> & <script>alert(3)</script>';
export const HOSTILE_ACTION = 'Audit <script>alert(4)</script> medicines';
/** A contract area that a spreadsheet would run as a formula. */
export const FORMULA_AREA = '=HYPERLINK("http://evil.example","x")';
export const HOSTILE_LOCATION_ID = '1-1999999999';
export const HOSTILE_PROVIDER_ID = '1-999999999';

export const AISHA = 'aisha.khan@westshire.example.gov.uk';
export const TOM = 'tom.reid@westshire.example.gov.uk';

const base = DEMO_LOCATIONS.find((location) => location.locationId === OAKFIELD)!;
export const HOSTILE = {
  ...base,
  locationId: HOSTILE_LOCATION_ID,
  name: HOSTILE_LOCATION,
  street: '<b>1</b> Evil Street',
  providerId: HOSTILE_PROVIDER_ID,
  providerName: HOSTILE_PROVIDER,
};

/** Opens the newest email to `to` about `location` whose subject names `step`, and confirms `decision`. */
export async function decide(product: Product, to: string, step: string, location: string, decision: string, fields: Record<string, string> = {}): Promise<void> {
  const email = product
    .allMail()
    .filter((item) => item.destination.to.includes(to) && item.subject.includes(step) && item.subject.includes(location))
    .at(-1);
  if (!email) throw new Error(`No "${step}" email about ${location} to ${to}`);
  const { status, page } = await product.clickAndConfirm(email, decision, fields);
  expect(status, page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).toBe(200);
}

export function isoDay(date: Date, plusDays = 0): string {
  return new Date(date.getTime() + plusDays * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Oakfield referred to the Board (memo RED, papers for a scheduled meeting), the hostile location
 * placing with restrictions (AMBER), Meadowbank resolved (GREEN, closed), Westshire Homecare at
 * the informal stage.
 */
export async function seedProduct(): Promise<{ product: Product; meetingDate: string }> {
  const product = await Product.start();
  const store = product.runtime.deps.store;
  const [contract] = demoContracts([HOSTILE]);
  await store.putContract({
    ...contract!,
    contractId: 'WS-C-9999',
    area: FORMULA_AREA,
    registeredManager: { name: 'Rae <b>Manager</b>', email: 'manager@hostile.example.co.uk' },
    nominatedIndividual: { name: 'Nia Nominated', email: 'nominated@hostile.example.co.uk' },
    serviceUsersContact: { name: 'Families', email: 'families@hostile.example.co.uk' },
  });

  // A Board meeting far enough ahead for papers to reach members.
  const meetingDate = isoDay(product.runtime.clock.now(), 21);
  expect((await product.api('POST', '/board/meetings/schedule', { date: meetingDate })).status).toBe(201);

  await product.uploadRatings(demoRatingsCsv([...DEMO_LOCATIONS, HOSTILE]));

  await decide(product, TOM, 'Approve Quality Improvement Notice', 'Oakfield', 'approve');
  await decide(product, TOM, 'Arrange Quality Improvement Meeting', 'Oakfield', 'arranged', QIM_ARRANGEMENT);
  await decide(product, TOM, 'Record QIM Outcome', 'Oakfield', 'referToBoard', qimOutcome('suspendNewPlacements', true, ['Appoint a clinical lead | Nominated Individual | 2027-01-15']));

  await decide(product, TOM, 'Approve Quality Improvement Notice', HOSTILE_LOCATION, 'approve', { note: HOSTILE_NOTE });
  await decide(product, TOM, 'Arrange Quality Improvement Meeting', HOSTILE_LOCATION, 'arranged', QIM_ARRANGEMENT);
  await decide(product, TOM, 'Record QIM Outcome', HOSTILE_LOCATION, 'followUp', qimOutcome('placeWithRestrictions', false, [`${HOSTILE_ACTION} | <i>Owner</i> | 2027-02-01`]));

  await decide(product, AISHA, 'Await Informal Outcome', 'Meadowbank', 'formalStage', { note: 'Concerns persist.' });
  await decide(product, AISHA, 'Approve Quality Improvement Notice', 'Meadowbank', 'approve');
  await decide(product, AISHA, 'Arrange Quality Improvement Meeting', 'Meadowbank', 'arranged', QIM_ARRANGEMENT);
  await decide(product, AISHA, 'Record QIM Outcome', 'Meadowbank', 'resolved', qimOutcome('placeWithRestrictions', false, []));
  await product.runtime.idle();
  return { product, meetingDate };
}
