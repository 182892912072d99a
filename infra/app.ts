// The CDK app entry: `npx cdk synth` / `npx cdk deploy`. The config file comes from
// `-c config=<path>` (default runbook.config.json).
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.ts';
import { loadConfig } from './config.ts';

const path = new App({ autoSynth: false }).node.tryGetContext('config') as string | undefined;
buildApp(loadConfig(path)).app.synth();
