/**
 * `cdk synth` / `cdk deploy` entry point: the app, the stack, and cdk-nag's AwsSolutions checks
 * (a finding that is not acknowledged with a reason fails synthesis).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EscalationStack } from './stack';

const app = new App();
new EscalationStack(app, 'CareQualityEscalation', {
  description: "Care provider quality escalation: the council's Contract, Quality & Risk Management ladder",
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
