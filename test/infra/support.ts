/**
 * Shared by the infra tests: synthesize the stack exactly as `cdk synth` does (the context of
 * cdk.json, plus overrides) but without bundling, and read IAM out of the template.
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { EscalationStack } from '../../infra/stack';

export const STACK_NAME = 'CareQualityEscalation';

/** The "context" of cdk.json: what the CLI gives the app. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface Synthesized {
  app: App;
  stack: EscalationStack;
  template: Template;
}

/**
 * The stack as cdk.json configures it, `context` overriding. Bundling is skipped, and so is CDK's
 * built-in CloudFormation schema validation (~5 s of WebAssembly per synth) unless asked for:
 * nag.test.ts runs it once, the way `cdk synth` does.
 */
export function buildStack(
  context: Record<string, unknown> = {},
  options: { cloudFormationValidation?: boolean } = {},
): { app: App; stack: EscalationStack } {
  const app = new App({
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    context: { ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new EscalationStack(app, STACK_NAME);
  return { app, stack };
}

export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildStack(context);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical ID CloudFormation knows `construct` (an L2 or its L1) by. */
export function logicalId(stack: EscalationStack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.toJSON().Resources[roleId] as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } };
  const inline = (role.Properties.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** The roles (logical IDs) whose policies allow `action` on a resource for which `resource` holds. */
export function rolesAllowed(template: Template, action: string, resource: (value: unknown) => boolean): string[] {
  return Object.keys(template.findResources('AWS::IAM::Role'))
    .filter((roleId) =>
      roleStatements(template, roleId).some(
        (statement) =>
          statement.Effect === 'Allow' &&
          asArray(statement.Action).includes(action) &&
          asArray(statement.Resource).some(resource),
      ),
    )
    .sort();
}

/** CloudFormation value equality, the way a template compares (`{ Ref: X }` equals `{ Ref: X }`). */
export const same = (expected: unknown) => (value: unknown) => JSON.stringify(value) === JSON.stringify(expected);

/** A template expression as text (`arn:<AWS::Partition>:...`, `<Logical.Arn>/*`), for readable comparisons. */
export function flat(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flat).join(delimiter);
    }
    if (Array.isArray(value['Fn::GetAtt'])) return `<${(value['Fn::GetAtt'] as string[]).join('.')}>`;
    if (typeof value.Ref === 'string') return `<${value.Ref}>`;
  }
  return JSON.stringify(node);
}
