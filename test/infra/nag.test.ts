import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildStack, type Synthesized } from './support';

/**
 * cdk-nag 3 is a CDK validation plugin: its findings are not construct annotations (so
 * `Annotations.fromStack` cannot see them) but the plugin's report. We read that report twice:
 * directly (`validateScope`, to list every finding on failure), and as `cdk synth` produces it
 * from app.ts's wiring (the cloud assembly's validation-report.json, which also carries CDK's
 * built-in CloudFormation schema validation).
 */
let synthesized: Omit<Synthesized, 'template'>;
let synth: { directory: string } | { error: Error };
beforeAll(() => {
  synthesized = buildStack({}, { cloudFormationValidation: true });
  Validations.of(synthesized.app).addPlugins(new AwsSolutionsChecks(synthesized.app));
  try {
    synth = { directory: synthesized.app.synth().directory };
  } catch (error) {
    synth = { error: error as Error }; // reported by the test below; the others still run
  }
});

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(synthesized.app);
    // Assess: on failure the list says what and where.
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(findings).toEqual([]);
  });

  it('and CloudFormation schema validation leave an empty report when synthesized as app.ts does', () => {
    if ('error' in synth) throw synth.error;
    const report = JSON.parse(readFileSync(join(synth.directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });

  it('acknowledgements each name one finding and give a specific reason', () => {
    // Prepare
    const all = acknowledgements(synthesized.app).filter((ack) => /AwsSolutions-/.test(ack.id));
    // Assess
    expect(all.length).toBeGreaterThan(0);
    for (const ack of all) {
      expect(ack.id, ack.path).toMatch(/^Annotation::AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(60);
    }
    // No blanket IAM5: every wildcard acknowledgement names the resource pattern it accepts.
    expect(all.filter((ack) => ack.id === 'Annotation::AwsSolutions-IAM5')).toEqual([]);
  });
});

describe('CDK annotations', () => {
  it('hold no errors', () => {
    Annotations.fromStack(synthesized.stack).hasNoError('*', Match.anyValue());
  });

  it('hold no warnings but the two placeholder reminders of the shipped cdk.json', () => {
    const warnings = Annotations.fromStack(synthesized.stack).findWarning('*', Match.anyValue());
    expect(warnings.map((warning) => String(warning.entry.data)).map((text) => text.split(':')[0])).toEqual([
      expect.stringMatching(/^authority\.baseUrl/),
      expect.stringMatching(/^jwtIssuer is the placeholder/),
    ]);
  });
});
