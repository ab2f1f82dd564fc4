/**
 * Acknowledging cdk-nag (AwsSolutions) findings, the cdk-nag 3 way: `Validations.of(scope)
 * .acknowledge({ id, reason })`. Every acknowledgement names one finding and says why it is right
 * here; there is no blanket suppression of a rule. Made next to the resource concerned.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Accepts one finding (`AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::*]`...) on `scope` and below. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Accepts the IAM5 (wildcard) finding for each resource pattern, as cdk-nag spells it: the
 * resolved CloudFormation expression flattened, `<Logical.Arn>/index/*` for a GetAtt joined to text.
 */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(resource))}]`, reason);
  }
}

/** The same flattening cdk-nag applies to a statement's Resource before reporting it. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (value['Fn::Sub'] !== undefined) return flatten(value['Fn::Sub']);
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (value['Fn::ImportValue'] !== undefined) return flatten(value['Fn::ImportValue']);
    if (value.Ref !== undefined) return `<${flatten(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
