// The runbook's own run-state table as a rehearsal finds it: each configured service's running release
// recorded as known-good after the one before it, and, as the scenario says, a lock held by another run.
// Written through the simulated DynamoDB with the keys of tasks/run-state.ts, as the workers would.
import type { Config } from '../infra/config.ts';
import { databaseLockKey, knownGoodKey, serviceLockKey } from '../tasks/run-state.ts';
import type { SimulatedAccount } from './account/account.ts';
import { configuredServices } from './account/service.ts';

/** What a scenario changes in the run-state table the rehearsal starts with. */
export interface Fixtures {
  /** Another run (a deployment) holds each service's lock when the rehearsal starts. */
  readonly lockHeld?: boolean;
  /** Another run (a restore) holds each configured database's lock when the rehearsal starts. */
  readonly databaseLockHeld?: boolean;
}

export function seedRunState(
  account: SimulatedAccount,
  config: Config,
  table: string,
  fixtures: Fixtures = {},
): void {
  const ecs = account.service('ecs');
  const dynamodb = account.service('dynamodb');
  const now = account.clock.now().getTime();
  for (const { svc } of configuredServices(config)) {
    const running = ecs.describeServices({ cluster: svc.cluster, services: [svc.service] }).services[0];
    // A service deleted before the rehearsal has no release to record.
    if (!running) continue;
    const baseline = ecs.resolveTaskDefinition(running.taskDefinition ?? '');
    const previous = ecs.resolveTaskDefinition(`${baseline.family}:${baseline.revision - 1}`);
    const lockKey = serviceLockKey(svc.cluster, svc.service);
    dynamodb.putItem({
      TableName: table,
      Item: {
        pk: { S: knownGoodKey(lockKey) },
        taskDefinition: { S: baseline.arn },
        previous: { S: previous.arn },
        desiredCount: { N: String(running.desiredCount) },
        executionId: { S: 'seeded-by-rehearsal' },
        recordedAt: { S: account.clock.iso() },
      },
    });
    if (fixtures.lockHeld) hold(lockKey, 'production-deployment', 'hotfix-2291');
  }
  if (fixtures.databaseLockHeld)
    for (const env of Object.values(config.environments))
      for (const db of Object.values(env.databases))
        hold(databaseLockKey(db.instance), 'db-restore', 'restore-after-bad-migration');

  function hold(key: string, procedure: string, run: string) {
    dynamodb.putItem({
      TableName: table,
      Item: {
        pk: { S: key },
        owner: {
          S: `arn:aws:states:${config.region}:${config.account}:execution:runbook-${procedure}:${run}`,
        },
        procedure: { S: procedure },
        acquiredAt: { S: new Date(now - 12 * 60_000).toISOString() },
        expiresAt: { N: String(Math.floor(now / 1000) + 3 * 3600) },
      },
    });
  }
}
