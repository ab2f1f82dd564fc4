import { test, expect } from 'vitest';
import { startHarness } from './harness';
test('smoke', async () => {
  const h = await startHarness();
  h.lambdas.set('echo', (p) => ({ got: p }));
  const arn = await h.machine({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'echo', 'Payload.$': '$' }, Next: 'B' }, B: { Type: 'Pass', End: true } } });
  const ex = await h.start(arn, { x: 1 });
  console.log(await h.describe(ex), JSON.stringify(await h.history(ex), null, 1));
  await h.close();
});
