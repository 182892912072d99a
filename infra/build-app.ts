// Builds the CDK app from a config: used by the entry point (cdk synth/deploy), the rehearsal and the tests.
// cdk-nag's AwsSolutions checks and CDK's own CloudFormation checks run on every synth that
// produces a template for AWS; the rehearsal, which only reads the definitions, skips them.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Config } from './config.ts';
import { RunbookStack } from './runbook-stack.ts';

export interface BuildOptions {
  readonly outdir?: string;
  /** Bundle the workers with esbuild; the rehearsal and most tests need only the definitions. */
  readonly bundle?: boolean;
  /** Run cdk-nag and CDK's CloudFormation validation (about 1.5 s). @default true */
  readonly validate?: boolean;
}

export function buildApp(config: Config, options: BuildOptions = {}): { app: App; stack: RunbookStack } {
  const validate = options.validate ?? true;
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    builtinCloudFormationValidation: validate,
    context: {
      'aws:cdk:enable-path-metadata': true,
      ...(options.bundle === false && { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  if (validate) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new RunbookStack(app, config.stackName, {
    config,
    env: { account: config.account, region: config.region },
    description: "Runbook as code: the operations runbook's procedures as Step Functions state machines",
  });
  return { app, stack };
}
