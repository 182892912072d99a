// One ModifyDBInstance, applied at once, of one of the changes a database procedure makes to an instance:
// - a rename (NewDBInstanceIdentifier), one step of a restore's cut-over, applied at once. The
//   endpoint follows the identifier, so the application's endpoint name stays the same across the
//   swap; its DNS takes minutes to follow, and the instance reboots. A retry after a rename that
//   went through finds `to` and not `dbInstance`, and does not rename again. A refusal is
//   CutoverFailed, for the state machine to undo.
// - Enhanced Monitoring, which a restore does not take: the source's interval and role, given to
//   the restored instance once it is available (passing the role needs iam:PassRole). An instance
//   that has them already is not modified again. A refusal is RestoreFailed.
// - maintenance: a minor engine version and/or an instance class, applied at once (a run for the
//   maintenance window calls it once the window has started). A change RDS is already applying on
//   a retry is not asked again. A refusal is MaintenanceFailed, with nothing changed.
import { type DBInstance, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { aws, CutoverFailed, MaintenanceFailed, RestoreFailed, type RunbookErrorClass } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { describeInstance, pendingChanges } from './describe-instance.ts';

const identifier = z.string().min(1).max(63);

export const ModifyChangeSchema = z.union([
  z.strictObject({ rename: identifier }),
  z.strictObject({
    monitoring: z.strictObject({ interval: z.number().int().min(1), roleArn: z.string().min(1) }),
  }),
  z.strictObject({
    maintenance: z.strictObject({
      engineVersion: z.string().min(1).nullable(),
      instanceClass: z.string().min(1).nullable(),
    }),
  }),
]);

/** Why a call was refused, unless it is worth a retry (then it is thrown as it is). */
const refused = (Failure: RunbookErrorClass, what: string, after: string) => (error: Error) => {
  if (error.name === 'TransientAwsError') throw error;
  throw new Failure(`RDS refused ${what} (${error.name}: ${error.message})${after}`);
};

/** States RDS shows while it applies a class change or an upgrade (and the reboot that may follow). */
const APPLYING = new Set(['modifying', 'upgrading', 'rebooting']);

/**
 * The maintenance change, applied at once, and asked once. An instance already on what was asked is
 * not asked again; nor, on a retry (retryCount > 0: the first call's answer was lost), is one RDS is
 * applying a change to, since PendingModifiedValues need not show the change under way: the wait
 * that follows verifies what the instance ends on, and pages if not on what was asked. A refusal on
 * a retry is looked at again for the same reason. On a first attempt a change under way is someone
 * else's, and RDS's refusal says so, with nothing changed. Changes that wait for the window are
 * refused: applying this one would apply them.
 */
async function maintain(
  rds: RDSClient,
  dbInstance: string,
  instance: DBInstance | null,
  change: { engineVersion: string | null; instanceClass: string | null },
  now: string | null,
  retryCount: number,
) {
  const { engineVersion, instanceClass } = change;
  const what = [engineVersion && `engine version ${engineVersion}`, instanceClass && `class ${instanceClass}`]
    .filter(Boolean)
    .join(' and ');
  if (instance === null) throw new MaintenanceFailed(`${dbInstance} does not exist: nothing was changed`);
  // Only what differs from the instance as it is.
  const askedOf = (i: DBInstance) => ({
    ...(engineVersion !== null && engineVersion !== i.EngineVersion && { EngineVersion: engineVersion }),
    ...(instanceClass !== null && instanceClass !== i.DBInstanceClass && { DBInstanceClass: instanceClass }),
  });
  const takenAlready = (i: DBInstance) =>
    Object.keys(askedOf(i)).length === 0 || (retryCount > 0 && APPLYING.has(i.DBInstanceStatus ?? ''));
  const result = { dbInstance, change: `${what}, at once`, at: now };
  if (takenAlready(instance)) return { ...result, already: true, status: instance.DBInstanceStatus ?? null };
  const pending = pendingChanges(instance);
  if (pending.length > 0)
    throw new MaintenanceFailed(
      `${dbInstance} has changes waiting for its maintenance window since the run checked it (${pending.join(', ')}), which applying this one would apply too, unapproved; nothing was changed`,
    );
  const modified = await aws(`RDS ModifyDBInstance of ${dbInstance}`, () =>
    rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: dbInstance,
        ...askedOf(instance),
        ApplyImmediately: true,
      }),
    ),
  ).catch(async (error: Error) => {
    if (error.name === 'TransientAwsError') throw error;
    const again = await describeInstance(rds, dbInstance);
    if (again && takenAlready(again)) return null;
    return refused(MaintenanceFailed, `${what} on ${dbInstance}`, '; nothing was changed')(error);
  });
  if (modified === null) return { ...result, already: true, status: null };
  return { ...result, already: false, status: modified.DBInstance?.DBInstanceStatus ?? null };
}

export const modifyInstance = defineWorker({
  name: 'modify-instance',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'iam:PassRole'],
  input: z.object({
    dbInstance: identifier,
    change: ModifyChangeSchema,
    /** When the step runs ($$.State.EnteredTime), echoed as `at` for the run's figures. */
    now: z.string().min(1).nullable().default(null),
    /** Which attempt of the step this is ($$.State.RetryCount): 0 the first, more after a retry. */
    retryCount: z.number().int().min(0).default(0),
  }),
  run: async ({ dbInstance, change, now, retryCount }, { rds }) => {
    const instance = await describeInstance(rds, dbInstance);
    if ('rename' in change) {
      const to = change.rename;
      if (instance === null) {
        const renamed = await describeInstance(rds, to);
        if (renamed !== null)
          return {
            dbInstance: to,
            change: `renamed from ${dbInstance}`,
            status: renamed.DBInstanceStatus ?? null,
            already: true,
            at: now,
          };
        throw new CutoverFailed(`neither ${dbInstance} nor ${to} exists: nothing to rename`);
      }
      const modified = await aws(`RDS rename of ${dbInstance} to ${to}`, () =>
        rds.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: dbInstance,
            NewDBInstanceIdentifier: to,
            ApplyImmediately: true,
          }),
        ),
      ).catch(refused(CutoverFailed, `to rename ${dbInstance} to ${to}`, ''));
      return {
        dbInstance: to,
        change: `renamed from ${dbInstance}`,
        status: modified.DBInstance?.DBInstanceStatus ?? null,
        already: false,
        at: now,
      };
    }
    if ('maintenance' in change)
      return maintain(rds, dbInstance, instance, change.maintenance, now, retryCount);
    const { interval, roleArn } = change.monitoring;
    const what = `Enhanced Monitoring every ${interval} s with ${roleArn}`;
    if (instance === null) throw new RestoreFailed(`${dbInstance} does not exist: cannot give it ${what}`);
    if (instance.MonitoringInterval === interval && instance.MonitoringRoleArn === roleArn)
      return { dbInstance, change: what, status: instance.DBInstanceStatus ?? null, already: true, at: now };
    const modified = await aws(`RDS ModifyDBInstance of ${dbInstance}`, () =>
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: dbInstance,
          MonitoringInterval: interval,
          MonitoringRoleArn: roleArn,
          ApplyImmediately: true,
        }),
      ),
    ).catch(
      refused(
        RestoreFailed,
        `${what} on ${dbInstance}`,
        '; the restored instance is kept, nothing was switched',
      ),
    );
    return {
      dbInstance,
      change: what,
      status: modified.DBInstance?.DBInstanceStatus ?? null,
      already: false,
      at: now,
    };
  },
  summarize: (r) => `${r.dbInstance}: ${r.change}${r.already ? ' (already)' : ''} (${r.status})`,
});

export const handler = lambdaHandler(modifyInstance);
