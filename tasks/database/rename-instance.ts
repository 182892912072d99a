// One rename of the cut-over: ModifyDBInstance with NewDBInstanceIdentifier, applied at once (a
// rename otherwise waits for the maintenance window). The endpoint follows the identifier, so the
// application's endpoint name stays the same across the swap; its DNS takes minutes to follow, and
// the instance reboots. A retry after a rename that went through finds `to` and `from` gone, and
// does not rename again. Any refusal ends the cut-over (CutoverFailed), for the state machine to undo.
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { aws, CutoverFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

async function exists(rds: RDSClient, id: string): Promise<string | null> {
  try {
    const found = await aws('RDS DescribeDBInstances', () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    return found.DBInstances?.[0]?.DBInstanceStatus ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === 'DBInstanceNotFoundFault') return null;
    throw error;
  }
}

export const renameInstance = defineWorker({
  name: 'rename-instance',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
  input: z.object({ from: z.string().min(1).max(63), to: z.string().min(1).max(63) }),
  run: async ({ from, to }, { rds }) => {
    const before = await exists(rds, from);
    if (before === null) {
      const renamed = await exists(rds, to);
      if (renamed !== null) return { from, to, status: renamed, already: true };
      throw new CutoverFailed(`neither ${from} nor ${to} exists: nothing to rename`);
    }
    const modified = await aws(`RDS rename of ${from} to ${to}`, () =>
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: from,
          NewDBInstanceIdentifier: to,
          ApplyImmediately: true,
        }),
      ),
    ).catch((error: Error) => {
      if (error.name === 'TransientAwsError') throw error;
      throw new CutoverFailed(`RDS refused to rename ${from} to ${to} (${error.name}: ${error.message})`);
    });
    return { from, to, status: modified.DBInstance?.DBInstanceStatus ?? null, already: false };
  },
  summarize: (r) => `${r.from} is now ${r.to}${r.already ? ' (already)' : ''} (${r.status})`,
});

export const handler = lambdaHandler(renameInstance);
