import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/lib/config';
import { loadDeployedAppConfig } from '../../infra/settings';
import { projectPath } from '../../infra/paths';
import type { EscalationFunction } from '../../infra/escalation-function';
import { asArray, cdkJsonContext, logicalId, roleStatements, synthesize, type Synthesized } from './support';

let synthesized: Synthesized;
let all: Record<'workflowStep' | 'httpApi' | 'ratingsImport', EscalationFunction>;
beforeAll(() => {
  synthesized = synthesize();
  const { stack } = synthesized;
  all = { workflowStep: stack.workflowStepFunction, httpApi: stack.httpApiFunction, ratingsImport: stack.ratingsImportFunction };
});

const properties = (fn: EscalationFunction) =>
  synthesized.template.toJSON().Resources[logicalId(synthesized.stack, fn)].Properties as Record<string, any>;
const variables = (fn: EscalationFunction) => properties(fn).Environment.Variables as Record<string, unknown>;

describe('every function', () => {
  it('runs Node.js 22 on ARM64 with active X-Ray tracing', () => {
    for (const [name, fn] of Object.entries(all)) {
      expect(properties(fn), name).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
    }
  });

  it('logs to its own log group, which has a retention', () => {
    const { stack, template } = synthesized;
    for (const [name, fn] of Object.entries(all)) {
      const logGroupId = logicalId(stack, fn.functionLogGroup);
      expect(properties(fn).LoggingConfig, name).toMatchObject({ LogGroup: { Ref: logGroupId }, LogFormat: 'JSON' });
      expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays, name).toBeGreaterThan(0);
    }
  });

  it('has a role with no managed policies, that may write to its own log group', () => {
    const { stack, template } = synthesized;
    for (const [name, fn] of Object.entries(all)) {
      const roleId = logicalId(stack, fn.executionRole);
      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns, name).toBeUndefined();
      const logWrites = roleStatements(template, roleId).filter((statement) => asArray(statement.Action).includes('logs:PutLogEvents'));
      expect(logWrites.map((statement) => statement.Resource), name).toEqual([{ 'Fn::GetAtt': [logicalId(stack, fn.functionLogGroup), 'Arn'] }]);
    }
  });

  it("uses Resource '*' only for X-Ray, which has no resource-level permissions", () => {
    const { stack, template } = synthesized;
    for (const [name, fn] of Object.entries(all)) {
      const unscoped = roleStatements(template, logicalId(stack, fn.executionRole))
        .filter((statement) => asArray(statement.Resource).includes('*'))
        .flatMap((statement) => asArray(statement.Action));
      expect(unscoped.sort(), name).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('knows the table and the state machine', () => {
    const { stack } = synthesized;
    for (const [name, fn] of Object.entries(all)) {
      expect(variables(fn).TABLE_NAME, name).toEqual({ Ref: logicalId(stack, stack.table) });
      expect(variables(fn).STATE_MACHINE_ARN, name).toBeDefined();
    }
  });

  it('receives the validated configuration as APP_CONFIG, sender and configuration set from context', () => {
    // Prepare
    const context = cdkJsonContext();
    const expected = loadDeployedAppConfig(projectPath(context.appConfigFile as string), {
      sender: context.senderAddress as string,
      configurationSet: context.sesConfigurationSet as string,
    });
    for (const [name, fn] of Object.entries(all)) {
      // Act
      const appConfig = JSON.parse(variables(fn).APP_CONFIG as string);
      // Assess: it is what the functions' own schema accepts, and what the file says.
      expect(configSchema.safeParse(appConfig).success, name).toBe(true);
      expect(appConfig, name).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(appConfig.mail, name).toMatchObject({ sender: context.senderAddress, configurationSet: context.sesConfigurationSet });
    }
  });
});

describe('each function', () => {
  it('ratings-import has 1024 MB and 15 minutes for national files', () => {
    expect(properties(all.ratingsImport)).toMatchObject({ MemorySize: 1024, Timeout: 900 });
  });

  it('http-api answers within API Gateway’s 30-second integration limit', () => {
    expect(properties(all.httpApi).Timeout).toBeLessThan(30);
  });

  it('gets the secret ARN variables it needs and no others', () => {
    const { stack } = synthesized;
    const signingKey = { Ref: logicalId(stack, stack.linkSigningKey) };
    const cqcKey = { Ref: logicalId(stack, stack.cqcApiKey) };
    expect(variables(all.workflowStep)).toMatchObject({ SIGNING_KEY_SECRET_ARN: signingKey });
    expect(variables(all.httpApi)).toMatchObject({ SIGNING_KEY_SECRET_ARN: signingKey });
    expect(variables(all.ratingsImport)).toMatchObject({ CQC_KEY_SECRET_ARN: cqcKey });
    expect(variables(all.ratingsImport).SIGNING_KEY_SECRET_ARN).toBeUndefined();
    expect(variables(all.workflowStep).CQC_KEY_SECRET_ARN).toBeUndefined();
    expect(variables(all.httpApi).CQC_KEY_SECRET_ARN).toBeUndefined();
  });

  it('that sends mail knows the sender and the configuration set', () => {
    const context = cdkJsonContext();
    for (const fn of [all.workflowStep, all.httpApi]) {
      expect(variables(fn)).toMatchObject({ SENDER: context.senderAddress, CONFIGURATION_SET: context.sesConfigurationSet });
    }
    expect(variables(all.ratingsImport).SENDER).toBeUndefined();
  });
});
