#!/usr/bin/env node
// The `runbook` command (package.json "bin"): runs the TypeScript CLI through tsx, so
// `npx runbook ...` works straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
