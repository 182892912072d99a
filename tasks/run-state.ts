// The keys of the run-state table (one DynamoDB table, partition key `pk`): the locks runs take,
// the approval requests they record, and the known-good releases they leave. Workers and the
// rehearsal's fixtures build and read them here, and nowhere else.

/** The lock of a service: deploy, rollback and scale on the same service exclude each other. */
export const serviceLockKey = (cluster: string, service: string) => `ecs:${cluster}/${service}`;

/** The lock of a database: backups, restores and maintenance of one instance exclude each other. */
export const databaseLockKey = (instance: string) => `rds:${instance.toLowerCase()}`;

const KNOWN_GOOD = 'known-good#';
const APPROVAL = 'approval#';

/** The known-good record of whatever a lock key guards. */
export const knownGoodKey = (lockKey: string) => `${KNOWN_GOOD}${lockKey}`;

/** An approval request, under its opaque id. */
export const approvalKey = (approvalId: string) => `${APPROVAL}${approvalId}`;

/** What a key of the table holds, and the id inside it. */
export function parseRunStateKey(key: string): { kind: 'approval' | 'known-good' | 'lock'; id: string } {
  if (key.startsWith(APPROVAL)) return { kind: 'approval', id: key.slice(APPROVAL.length) };
  if (key.startsWith(KNOWN_GOOD)) return { kind: 'known-good', id: key.slice(KNOWN_GOOD.length) };
  return { kind: 'lock', id: key };
}
