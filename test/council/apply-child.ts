/**
 * A register import in a process of its own, on a data folder, so a kill test can SIGKILL it
 * mid-apply (COUNCIL_IMPORT_CRASH_AFTER_WRITES) and run it again. Prints the plan's summary as JSON.
 *   tsx test/council/apply-child.ts <dataDir> <register file>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTable, localDynamoClient, startDynamo } from '../../local/dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION, TABLE_NAME } from '../../local/endpoints';
import { Store } from '../../functions/lib/store';
import { documentClient } from '../../functions/lib/table';
import { loadConfigFile } from '../../functions/lib/config';
import { applyRegister } from '../../functions/council/contracts-import';
import { PROJECT_ROOT } from '../../local/paths';
import { PINNED_NOW } from '../support/pinned-clock';

const [dataDir, file] = process.argv.slice(2);
const dynamo = await startDynamo({ path: join(dataDir!, 'dynamodb') });
await ensureTable(localDynamoClient(dynamo.endpoint), TABLE_NAME);
const store = new Store(documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint }), TABLE_NAME);
const config = loadConfigFile(join(PROJECT_ROOT, 'config', 'local.json'));
const plan = await applyRegister({ store, config, clock: { now: () => PINNED_NOW } }, readFileSync(file!), 'register.csv', 'kill test');
process.stdout.write(`${JSON.stringify(plan.summary)}\n`);
await dynamo.close();
