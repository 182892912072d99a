// One ModifyDBInstance, applied at once (it otherwise waits for the maintenance window), of one of
// the changes a database procedure makes to an instance:
// - a rename (NewDBInstanceIdentifier), one step of a restore's cut-over. The endpoint follows the
//   identifier, so the application's endpoint name stays the same across the swap; its DNS takes
//   minutes to follow, and the instance reboots. A retry after a rename that went through finds
//   `to` and not `dbInstance`, and does not rename again. A refusal is CutoverFailed, for the
//   state machine to undo.
// - Enhanced Monitoring, which a restore does not take: the source's interval and role, given to
//   the restored instance once it is available (passing the role needs iam:PassRole). An instance
//   that has them already is not modified again. A refusal is RestoreFailed.
import {
  type DBInstance,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { aws, CutoverFailed, RestoreFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

async function describe(rds: RDSClient, id: string): Promise<DBInstance | null> {
  try {
    const found = await aws('RDS DescribeDBInstances', () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    return found.DBInstances?.[0] ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === 'DBInstanceNotFoundFault') return null;
    throw error;
  }
}

const identifier = z.string().min(1).max(63);

export const ModifyChangeSchema = z.union([
  z.strictObject({ rename: identifier }),
  z.strictObject({
    monitoring: z.strictObject({ interval: z.number().int().min(1), roleArn: z.string().min(1) }),
  }),
]);

export const modifyInstance = defineWorker({
  name: 'modify-instance',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'iam:PassRole'],
  input: z.object({
    dbInstance: identifier,
    change: ModifyChangeSchema,
    /** When the step runs ($$.State.EnteredTime), echoed as `at` for the run's figures. */
    now: z.string().min(1).nullable().default(null),
  }),
  run: async ({ dbInstance, change, now }, { rds }) => {
    const instance = await describe(rds, dbInstance);
    if ('rename' in change) {
      const to = change.rename;
      if (instance === null) {
        const renamed = await describe(rds, to);
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
      ).catch((error: Error) => {
        if (error.name === 'TransientAwsError') throw error;
        throw new CutoverFailed(
          `RDS refused to rename ${dbInstance} to ${to} (${error.name}: ${error.message})`,
        );
      });
      return {
        dbInstance: to,
        change: `renamed from ${dbInstance}`,
        status: modified.DBInstance?.DBInstanceStatus ?? null,
        already: false,
        at: now,
      };
    }
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
    ).catch((error: Error) => {
      if (error.name === 'TransientAwsError') throw error;
      throw new RestoreFailed(
        `RDS refused ${what} on ${dbInstance} (${error.name}: ${error.message}); the restored instance is kept, nothing was switched`,
      );
    });
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
