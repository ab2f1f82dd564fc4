/**
 * Dorset's demo list applied in a process of its own, on a data folder, so a kill test can SIGKILL
 * it mid-apply (CRASH_AT=neighbours:afterWrite) and run it again.
 *   tsx test/council/neighbours-child.ts <dataDir>
 */
import { join } from 'node:path';
import { ensureTable, localDynamoClient, startDynamo } from '../../local/dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION, TABLE_NAME } from '../../local/endpoints';
import { Store } from '../../functions/lib/store';
import { documentClient } from '../../functions/lib/table';
import { loadConfigFile } from '../../functions/lib/config';
import { applyNeighbours } from '../../functions/council/neighbours';
import { demoNeighbourLists } from '../../local/demo';
import { PROJECT_ROOT } from '../../local/paths';
import { PINNED_NOW } from '../support/pinned-clock';

const [dataDir] = process.argv.slice(2);
const dynamo = await startDynamo({ path: join(dataDir!, 'dynamodb') });
await ensureTable(localDynamoClient(dynamo.endpoint), TABLE_NAME);
const store = new Store(documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint }), TABLE_NAME);
const config = loadConfigFile(join(PROJECT_ROOT, 'config', 'local.json'));
const [dorset] = demoNeighbourLists(PINNED_NOW);
const plan = await applyNeighbours({ store, config, clock: { now: () => PINNED_NOW } }, Buffer.from(dorset!.body, 'utf8'), dorset!.fileName, 'kill test');
process.stdout.write(`${JSON.stringify({ kind: plan.kind, summary: plan.summary })}\n`);
await dynamo.close();
