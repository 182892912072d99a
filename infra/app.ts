// The CDK app entry: `npx cdk synth` / `npx cdk deploy`. The config file comes from
// `-c config=<path>` (default: the project's runbook.config.json). A config that cannot be used
// is reported as the file, the field and what is wrong with it, not as a stack trace.
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';

const path = new App({ autoSynth: false }).node.tryGetContext('config') as string | undefined;
let config: Config;
try {
  config = loadConfig(path);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
buildApp(config).app.synth();
