// Before anyone is asked to switch: the restored instance against its source. Engine and version,
// class, network (subnet group, every security group, port, never publicly accessible), the
// parameter group applied (in-sync, not pending a reboot), option group, storage, encryption with
// the source's key, deletion protection, IAM auth and monitoring. Any difference ends the run with
// RestoreFailed naming each one; the restored instance is kept for a person to look at. Reads only.
import { type DBInstance, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { aws, RestoreFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { settingsOf } from './restore-instance.ts';

const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
const same = (a: unknown, b: unknown) =>
  JSON.stringify(Array.isArray(a) ? [...a].sort() : a) ===
  JSON.stringify(Array.isArray(b) ? [...b].sort() : b);

/** Each way the restored instance differs from its source, in words. */
export function differences(source: DBInstance, restored: DBInstance): string[] {
  const expected: Record<string, unknown> = {
    Engine: source.Engine,
    EngineVersion: source.EngineVersion,
    StorageEncrypted: source.StorageEncrypted,
    KmsKeyId: source.KmsKeyId,
    MonitoringInterval: source.MonitoringInterval ?? 0,
    ...settingsOf(source),
  };
  const actual: Record<string, unknown> = {
    Engine: restored.Engine,
    EngineVersion: restored.EngineVersion,
    StorageEncrypted: restored.StorageEncrypted,
    KmsKeyId: restored.KmsKeyId,
    MonitoringInterval: restored.MonitoringInterval ?? 0,
    ...settingsOf(restored),
    PubliclyAccessible: restored.PubliclyAccessible,
  };
  const found = Object.keys(expected)
    .filter((k) => !same(expected[k], actual[k]))
    .map((k) => `${k}: source ${show(expected[k])}, restored ${show(actual[k])}`);
  const applied = restored.DBParameterGroups?.[0]?.ParameterApplyStatus;
  if (applied !== 'in-sync') found.push(`parameter group not applied: ${show(applied)} (in-sync expected)`);
  return found;
}

export const verifyRestored = defineWorker({
  name: 'verify-restored',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances'],
  input: z.object({
    source: z.string().min(1),
    restored: z.string().min(1),
    /** When the step runs ($$.State.EnteredTime), echoed as verifiedAt for the run's figures. */
    now: z.string().min(1).nullable().default(null),
  }),
  run: async ({ source, restored, now }, { rds }) => {
    const [from, to] = await Promise.all(
      [source, restored].map(async (id) => {
        const found = await aws('RDS DescribeDBInstances', () =>
          rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
        );
        const instance = found.DBInstances?.[0];
        if (!instance) throw new RestoreFailed(`${id} is not described by RDS`);
        return instance;
      }),
    );
    const found = differences(from as DBInstance, to as DBInstance);
    if (found.length > 0)
      throw new RestoreFailed(
        `${restored} differs from ${source}: ${found.join('; ')}; the restored instance is kept, nothing was switched`,
      );
    return {
      restored,
      endpoint: to?.Endpoint?.Address ?? null,
      engineVersion: to?.EngineVersion ?? null,
      verifiedAt: now,
    };
  },
  summarize: (r) => `${r.restored} matches its source (${r.engineVersion})`,
});

export const handler = lambdaHandler(verifyRestored);
