/**
 * The Lambda bundles `cdk synth` wrote (a cloud assembly: `cdk.out/` or any `--output` folder),
 * run by the local runtime instead of the handlers' source: what ships is what runs. Each function
 * is found in the template by its construct id, gets the environment the template gives it (with
 * the values CloudFormation would resolve replaced by the local ones), and runs in a worker thread
 * (local/lambda-worker.mjs) on the runtime's virtual clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';

/** Construct paths of the stack's functions under the stack (infra/stack.ts) → the name the runtime knows them by. */
export const BUNDLED_FUNCTIONS = { WorkflowStep: 'workflow-step', HttpApi: 'http-api', RatingsImport: 'ratings-import', MailEvents: 'mail-events', 'MemoPublish/Function': 'memo-publish' } as const;
export type BundledFunctionName = (typeof BUNDLED_FUNCTIONS)[keyof typeof BUNDLED_FUNCTIONS];

const templateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Metadata: z.record(z.string(), z.unknown()).optional(),
      Properties: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

const functionPropertiesSchema = z.object({
  Handler: z.string(),
  Timeout: z.number().optional(),
  MemorySize: z.number().optional(),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }).optional(),
});

export interface BundledFunctionSpec {
  name: BundledFunctionName;
  /** The bundle's entry file (`<asset folder>/index.mjs`). */
  entry: string;
  /** The exported handler's name (`index.handler` → `handler`). */
  handlerExport: string;
  /** Environment variables as the template gives them: text, or a CloudFormation expression. */
  environment: Record<string, unknown>;
  timeoutSeconds: number;
  memorySize: number;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** Reads the stack's template in `assemblyDir` and finds each function's bundle. */
export function readCloudAssembly(assemblyDir: string, stackName = 'CareQualityEscalation'): Map<BundledFunctionName, BundledFunctionSpec> {
  const templateFile = join(assemblyDir, `${stackName}.template.json`);
  if (!existsSync(templateFile)) throw new BundleError(`No template ${templateFile}: run \`cdk synth -o ${assemblyDir}\` first`);
  const template = templateSchema.parse(JSON.parse(readFileSync(templateFile, 'utf8')));
  const found = new Map<BundledFunctionName, BundledFunctionSpec>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const path = String(resource.Metadata?.['aws:cdk:path'] ?? '');
    const id = /^[^/]+\/(.+)\/Resource$/.exec(path)?.[1] as keyof typeof BUNDLED_FUNCTIONS | undefined;
    if (!id || !(id in BUNDLED_FUNCTIONS)) continue;
    const asset = resource.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') throw new BundleError(`${path} has no bundled asset: synthesize with bundling`);
    const properties = functionPropertiesSchema.parse(resource.Properties);
    const [file, handlerExport] = properties.Handler.split('.') as [string, string];
    const entry = join(assemblyDir, asset, `${file}.mjs`);
    if (!existsSync(entry)) throw new BundleError(`${path}: the bundle ${entry} is missing`);
    found.set(BUNDLED_FUNCTIONS[id], {
      name: BUNDLED_FUNCTIONS[id],
      entry,
      handlerExport,
      environment: properties.Environment?.Variables ?? {},
      timeoutSeconds: properties.Timeout ?? 3,
      memorySize: properties.MemorySize ?? 128,
    });
  }
  return found;
}

/**
 * The function's environment on this machine: text values as the template has them, the
 * CloudFormation expressions (a table name, an ARN) from `local`, `overrides` last. A variable the
 * template computes that the runtime cannot provide is named, rather than silently left out, unless
 * it is in `absent` (with the reason the caller documents).
 */
export function localEnvironment(
  spec: BundledFunctionSpec,
  local: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>> = {},
  absent: readonly string[] = [],
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.environment)) {
    if (name in overrides) environment[name] = overrides[name]!;
    else if (name in local) environment[name] = local[name]!;
    else if (typeof value === 'string') environment[name] = value;
    else if (!absent.includes(name)) throw new BundleError(`${spec.name}: the template computes ${name} (${JSON.stringify(value)}) and the local runtime has no value for it`);
  }
  return environment;
}

const replySchema = z.union([
  z.object({ id: z.number(), ok: z.literal(true), result: z.string() }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.object({ errorType: z.string(), errorMessage: z.string() }) }),
]);

/** A bundle in its worker. `invoke` resolves with the handler's result or rejects with its error's name and message. */
export class BundledFunction {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private next = 1;

  constructor(
    readonly spec: BundledFunctionSpec,
    environment: Record<string, string>,
    private readonly offsetMs: () => number,
  ) {
    if (spec.handlerExport !== 'handler') throw new BundleError(`${spec.name}: the template's handler export is ${spec.handlerExport}, the worker calls "handler"`);
    this.worker = new Worker(new URL('./lambda-worker.mjs', import.meta.url), {
      env: { ...environment, AWS_LAMBDA_FUNCTION_NAME: spec.name, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize) },
      workerData: { bundle: pathToFileURL(spec.entry).href, functionName: spec.name, timeoutMs: spec.timeoutSeconds * 1000 },
    });
    this.worker.on('message', (message: unknown) => {
      const reply = replySchema.parse(message);
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiting.resolve(JSON.parse(reply.result));
      else waiting.reject(Object.assign(new Error(reply.error.errorMessage), { name: reply.error.errorType }));
    });
    this.worker.on('error', (error) => {
      // The function's process died: every call in flight fails as Lambda reports it.
      for (const waiting of this.waiting.values()) waiting.reject(Object.assign(new Error(error.message), { name: 'Lambda.ServiceException' }));
      this.waiting.clear();
    });
    this.worker.unref();
  }

  invoke(event: unknown): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, event: JSON.stringify(event), offset: this.offsetMs() });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
