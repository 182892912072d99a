// The local endpoint in the test's own process, on a free port, with a folder of its own; an SDK
// client pointed at it, and a wait for a condition that fails the test with what it saw last.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type LocalOptions, LocalStepFunctions } from '../../local/executions.ts';
import { serveLocal } from '../../local/server.ts';
import { config, definitionsOnce, example } from '../statemachines/support.ts';

export { config, example };

export const IMAGE =
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a';

export async function startEndpoint(
  options: Partial<Pick<LocalOptions, 'speed' | 'approvalSpeed' | 'dir'>> = {},
) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'runbook-local-'));
  const definitions = definitionsOnce();
  const store = new LocalStepFunctions({
    config,
    definitions,
    dir,
    speed: options.speed ?? 50_000,
    ...(options.approvalSpeed !== undefined && { approvalSpeed: options.approvalSpeed }),
  });
  const endpoint = await serveLocal(store, { config, table: definitions.table });
  const sfn = new SFNClient({
    endpoint: endpoint.url,
    region: config.region,
    credentials: { accessKeyId: 'tester', secretAccessKey: 'any' },
    maxAttempts: 1,
  });
  const machine = (procedure: string) => String(definitions.machines[procedure]?.arn);
  return {
    store,
    endpoint,
    sfn,
    dir,
    machine,
    /** Waits until the execution is no longer RUNNING (or `status`), and answers its description. */
    async settled(executionArn: string, status?: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (status ? described.status === status : described.status !== 'RUNNING') return described;
        if (Date.now() > deadline) throw new Error(`${executionArn} is still ${described.status}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close({ keep = false } = {}) {
      store.close();
      await endpoint.close();
      sfn.destroy();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A SigV4-looking Authorization header: the local endpoint reads only the access key id from it. */
export const signedAs = (keyId: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${keyId}/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
});

/** A staging-like run: the dev environment needs no approval. */
export const devDeployment = () =>
  JSON.stringify({ ...example('production-deployment'), environment: 'dev' });
