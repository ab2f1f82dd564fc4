import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ses from 'aws-cdk-lib/aws-ses';
import { projectPath } from '../../infra/paths';
import { DEFAULT_APP_CONFIG_FILE } from '../../infra/settings';
import { buildStack, logicalId, synthesize, type Synthesized } from './support';

/** The example configuration, changed by `edit`, written to a temporary file. */
let folder: string;
function configFile(name: string, edit: (config: any) => void): string {
  const config = JSON.parse(readFileSync(projectPath(DEFAULT_APP_CONFIG_FILE), 'utf8'));
  edit(config);
  const file = join(folder, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const REAL_ISSUER = 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbCdEfGhI';
let configured: Synthesized;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'infra-settings-'));
  configured = synthesize({
    appConfigFile: configFile('configured', (config) => {
      config.authority.baseUrl = 'https://escalation.westshire.gov.uk';
      config.policy.linkExpiryDays = 7;
    }),
    jwtIssuer: REAL_ISSUER,
    jwtAudience: 'client-one, client-two',
  });
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the product configuration (context appConfigFile)', () => {
  it('is read from the file context names, and reaches the functions', () => {
    const { stack } = configured;
    const variables = configured.template.toJSON().Resources[logicalId(stack, stack.workflowStepFunction)].Properties.Environment.Variables;
    const appConfig = JSON.parse(variables.APP_CONFIG);
    expect(appConfig.authority.baseUrl).toBe('https://escalation.westshire.gov.uk');
    expect(appConfig.policy.linkExpiryDays).toBe(7);
  });

  it('defaults to infra/app-config.example.json', () => {
    const app = buildStack({ appConfigFile: undefined });
    expect(app.stack.settings.appConfigFile).toBe(projectPath('infra/app-config.example.json'));
  });

  it('that fails the schema fails synth with the schema’s message, naming the field', () => {
    const file = configFile('bad-email', (config) => {
      config.officers[0].email = 'not-an-address';
    });
    expect(() => buildStack({ appConfigFile: file })).toThrow(/officers\.0\.email: .*(email|Invalid)/i);
  });

  it('that holds the CQC subscription key fails synth: secrets go in Secrets Manager', () => {
    const file = configFile('with-key', (config) => {
      config.cqcApi = { subscriptionKey: 'abc123' };
    });
    expect(() => buildStack({ appConfigFile: file })).toThrow(/cqcApi\.subscriptionKey/);
  });

  it('that cannot fit in a Lambda environment variable fails synth', () => {
    const file = configFile('huge', (config) => {
      config.officers = Array.from({ length: 40 }, (_, index) => ({
        id: `officer-${index}`,
        name: `Officer Number ${index}`,
        email: `officer.number.${index}@westshire.example.gov.uk`,
      }));
    });
    expect(() => buildStack({ appConfigFile: file })).toThrow(/bytes as JSON/);
  });

  it('that is missing fails synth naming the file', () => {
    expect(() => buildStack({ appConfigFile: join(folder, 'nowhere.json') })).toThrow(/nowhere\.json/);
  });
});

describe('deployment context', () => {
  it('gives the JWT authorizer its issuer and audiences (comma-separated)', () => {
    configured.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: REAL_ISSUER, Audience: ['client-one', 'client-two'] },
    });
  });

  it('refuses a JWT issuer that is not https', () => {
    expect(() => buildStack({ jwtIssuer: 'http://issuer.example.org' })).toThrow(/jwtIssuer: must be an https URL/);
  });

  it('refuses an SES identity that does not cover the sender', () => {
    expect(() => buildStack({ sesIdentity: 'elsewhere.gov.uk' })).toThrow(/sesIdentity: elsewhere\.gov\.uk does not cover/);
  });

  it('imports an existing identity and configuration set when told to (true as text, as -c gives it)', () => {
    const { stack } = buildStack({ sesIdentity: 'example.gov.uk', sesImportIdentity: 'true', sesImportConfigurationSet: 'true' });
    expect(stack.mail.identity).not.toBeInstanceOf(ses.EmailIdentity);
    expect(stack.mail.configurationSet).not.toBeInstanceOf(ses.ConfigurationSet);
    expect(stack.resolve(stack.mail.identity.emailIdentityArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/example.gov.uk']],
    });
  });

  it('creates a domain identity when the identity is a domain', () => {
    const { stack } = buildStack({ sesIdentity: 'example.gov.uk' });
    expect(stack.mail.identity).toBeInstanceOf(ses.EmailIdentity);
    expect(stack.mail.identity.emailIdentityName).not.toContain('@');
  });
});

describe('placeholders', () => {
  it('left in place (cdk.json as shipped) make synth warn about the base URL and the JWT issuer', () => {
    const { stack } = buildStack();
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/CareQualityEscalation', Match.stringLikeRegexp('authority\\.baseUrl .* placeholder'));
    annotations.hasWarning('/CareQualityEscalation', Match.stringLikeRegexp('jwtIssuer is the placeholder'));
  });

  it('once replaced, leave no warning', () => {
    Annotations.fromStack(configured.stack).hasNoWarning('*', Match.anyValue());
  });
});
