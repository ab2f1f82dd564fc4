// One Lambda function's bundle (cdk.out's index.mjs, unmodified) in its own worker thread: its own
// process.env (the function's environment from the template), its own module state (cold start),
// invoked with the event as JSON and answering as the Node.js runtime does: the result as JSON, or
// `{ errorType: error.name, errorMessage }`. Plain JavaScript: it runs before any loader.
//
// The worker's clock is the runtime's virtual clock (as `faketime` would set a machine's): `Date`
// reads the offset the runtime sends with every invocation. Nothing in the bundle is changed.
import { parentPort, workerData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import process from 'node:process';

const RealDate = Date;
let offset = 0;
const now = () => RealDate.now() + offset;
globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [now()], newTarget),
  apply: () => new RealDate(now()).toString(),
  get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
});

const { bundle, functionName, timeoutMs } = workerData;
const loaded = import(bundle);

function context(started) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
    awsRequestId: randomBytes(16).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (RealDate.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort.on('message', async (message) => {
  offset = message.offset;
  try {
    const { handler } = await loaded;
    const result = await handler(JSON.parse(message.event), context(RealDate.now()));
    parentPort.postMessage({ id: message.id, ok: true, result: result === undefined ? 'null' : JSON.stringify(result) });
  } catch (error) {
    const errorType = error instanceof Error || (error && typeof error.name === 'string') ? error.name : typeof error;
    const errorMessage = error && typeof error.message === 'string' ? error.message : String(error);
    parentPort.postMessage({ id: message.id, ok: false, error: { errorType, errorMessage } });
  }
});
