// `runbook local`: the local endpoint in the foreground, saying where it serves and how to use it.
import type { Config } from '../infra/config.ts';
import { LocalStepFunctions } from '../local/executions.ts';
import { serveLocal } from '../local/server.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import { UsageError } from './usage.ts';

export async function serveLocalCommand(
  flags: { port: number; dir: string; speed: number; approvalSpeed?: number; scenario: string },
  config: Config,
  load: () => Definitions,
): Promise<void> {
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65_535)
    throw new UsageError('--port must be a port number (0 picks a free one)');
  for (const [name, value] of [
    ['--speed', flags.speed],
    ['--approval-speed', flags.approvalSpeed ?? flags.speed],
  ] as const)
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a number above 0`);
  const definitions = load();
  const store = new LocalStepFunctions({
    config,
    definitions,
    dir: flags.dir,
    speed: flags.speed,
    ...(flags.approvalSpeed !== undefined && { approvalSpeed: flags.approvalSpeed }),
    scenario: flags.scenario,
  });
  const endpoint = await serveLocal(store, { config, table: definitions.table, port: flags.port }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot serve on 127.0.0.1:${flags.port}: ${error.code ?? error.message}`);
    },
  );
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `Step Functions API on ${endpoint.url}  (simulated time ${flags.speed}x; executions kept in ${flags.dir}/)`,
  );
  out(
    `  machines: ${store
      .stateMachines()
      .map((m) => m.name)
      .join(', ')}`,
  );
  out(`  runbook deploy --endpoint ${endpoint.url} --env prod --service app --image <ref>`);
  out(`  aws stepfunctions list-state-machines --endpoint-url ${endpoint.url}`);
  out(`  approvals: runbook approvals --api ${endpoint.url}/v1/  (the access key you sign with names you)`);
  // Ctrl-C: what ran is on disk; a run cut short is reported FAILED when the endpoint starts again.
  process.removeAllListeners('SIGINT');
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      store.save();
      process.stderr.write(`\nrunbook local: stopped (${signal}); executions kept in ${flags.dir}/\n`);
      process.exit(0);
    });
  await new Promise(() => {});
}
