// rds-maintenance's first look at the instance, before anything changes: what it runs now, and
// whether the change asked for is one this procedure makes. An engine version must be a valid
// upgrade target of the instance's current version (RDS's own list, DescribeDBEngineVersions) and
// a minor one: a major upgrade needs its own plan (extensions, parameter groups), not this runbook
// step. An instance class must be a DB instance class (by its form: one the engine does not offer is
// refused by RDS when the change is asked, with nothing changed). Nothing to change is refused too,
// and so is a change for the window of an instance without one, and a change while others wait for
// the window (applying this one would apply them too, unapproved). Reads only.
import { DescribeDBEngineVersionsCommand } from '@aws-sdk/client-rds';
import { describeInstance, pendingChanges } from '../database/describe-instance.ts';
import { parseWindow } from '../database/maintenance-window.ts';
import { aws, InvalidInput } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const checkUpgradeTarget = defineWorker({
  name: 'check-upgrade-target',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:DescribeDBEngineVersions'],
  input: z.object({
    dbInstance: z.string().min(1),
    engineVersion: z.string().min(1).nullable(),
    instanceClass: z.string().min(1).nullable(),
    /** `now`, or in the instance's next maintenance window. */
    apply: z.enum(['now', 'window']),
  }),
  run: async ({ dbInstance, engineVersion, instanceClass, apply }, { rds }) => {
    const instance = await describeInstance(rds, dbInstance);
    if (!instance?.Engine || !instance.EngineVersion || !instance.DBInstanceClass)
      throw new InvalidInput(
        `${dbInstance} is not described by RDS with its engine, version and class; nothing was changed`,
      );
    const from = { engineVersion: instance.EngineVersion, instanceClass: instance.DBInstanceClass };
    const problems: string[] = [];
    const upgrades = engineVersion !== null && engineVersion !== from.engineVersion;
    if (upgrades) {
      const versions = await aws('RDS DescribeDBEngineVersions', () =>
        rds.send(
          // IncludeAll: a deprecated version (the one most in need of an upgrade) is listed too.
          new DescribeDBEngineVersionsCommand({
            Engine: instance.Engine,
            EngineVersion: from.engineVersion,
            IncludeAll: true,
          }),
        ),
      );
      const targets = versions.DBEngineVersions?.[0]?.ValidUpgradeTarget ?? [];
      const target = targets.find((t) => t.EngineVersion === engineVersion);
      const minor = targets.filter((t) => !t.IsMajorVersionUpgrade).map((t) => t.EngineVersion);
      if (!target)
        problems.push(
          `engineVersion: ${engineVersion} is not a valid upgrade target of ${instance.Engine} ${from.engineVersion} (minor targets: ${minor.join(', ') || 'none'})`,
        );
      else if (target.IsMajorVersionUpgrade)
        problems.push(
          `engineVersion: ${engineVersion} is a major upgrade of ${from.engineVersion}; this procedure makes minor upgrades only (minor targets: ${minor.join(', ') || 'none'})`,
        );
    }
    const resizes = instanceClass !== null && instanceClass !== from.instanceClass;
    if (resizes && !/^db\.[a-z0-9-]+\.[a-z0-9]+(\.[a-z0-9]+)*$/.test(instanceClass))
      problems.push(`instanceClass: ${instanceClass} is not a DB instance class (e.g. db.r6g.xlarge)`);
    if (!upgrades && !resizes)
      problems.push(
        `${dbInstance} already runs ${instance.Engine} ${from.engineVersion} on ${from.instanceClass}: nothing to change`,
      );
    const window = instance.PreferredMaintenanceWindow ?? '';
    if (apply === 'window' && !parseWindow(window))
      problems.push(`apply: ${dbInstance} has no maintenance window RDS describes (${window || 'none'})`);
    // ApplyImmediately applies whatever else waits for the window too: not under this approval.
    const pending = pendingChanges(instance);
    if (pending.length > 0)
      problems.push(
        `${dbInstance} has changes waiting for its maintenance window (${pending.join(', ')}), which applying this one would apply too; apply or undo them first`,
      );
    if (problems.length > 0) throw new InvalidInput(`${problems.join('; ')}; nothing was changed`);
    const to = {
      engineVersion: upgrades ? engineVersion : from.engineVersion,
      instanceClass: resizes ? instanceClass : from.instanceClass,
    };
    const when = apply === 'now' ? 'now' : `in the maintenance window (${window} UTC)`;
    return {
      engine: instance.Engine,
      from,
      to,
      maintenanceWindow: window || null,
      /** The change in words, as the approver and the notices read it. */
      change: `${instance.Engine} ${from.engineVersion} on ${from.instanceClass} -> ${to.engineVersion} on ${to.instanceClass}, ${when}`,
    };
  },
  summarize: (r) => r.change,
});

export const handler = lambdaHandler(checkUpgradeTarget);
