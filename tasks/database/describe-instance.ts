// One DB instance as RDS describes it, or null when RDS knows none by that identifier
// (DBInstanceNotFoundFault). Any other error is thrown as `aws` words it (throttling: transient).
// And what of an instance waits for its maintenance window.
import { type DBInstance, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { aws } from '../errors.ts';

export async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | null> {
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

/** The changes waiting for the instance's maintenance window (PendingModifiedValues), as `key value`. */
export function pendingChanges(instance: DBInstance): string[] {
  return Object.entries(instance.PendingModifiedValues ?? {})
    .filter(
      ([, value]) =>
        value !== undefined &&
        value !== null &&
        !(typeof value === 'object' && Object.keys(value).length === 0),
    )
    .map(([key, value]) => `${key} ${JSON.stringify(value)}`);
}
