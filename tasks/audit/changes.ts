// What a run changed, read from its workers' results in the history: each worker that changes
// something says what in its result, and this is the one place that knows how to read them.
// A result of another shape changes nothing here; a check or a notice is not a change.

export interface RecordedChange {
  readonly kind: 'service' | 'task-definition' | 'snapshot' | 'export' | 'known-good' | 'lock';
  readonly state: string;
  readonly at: string;
  readonly what: string;
  readonly before: string | null;
  readonly after: string | null;
}

interface Result {
  readonly state: string;
  readonly at: string;
  readonly output: unknown;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function changesOf(results: readonly Result[]): RecordedChange[] {
  const changes: RecordedChange[] = [];
  /** The service as the run found it (capture-baseline's result). */
  let baseline: { taskDefinition: string; desiredCount: unknown } | null = null;
  for (const { state, at, output } of results) {
    if (!output || typeof output !== 'object' || Array.isArray(output)) continue;
    const o = output as Record<string, unknown>;
    const change = (c: Omit<RecordedChange, 'state' | 'at'>) => changes.push({ state, at, ...c });
    if (str(o.taskDefinition) && 'runningCount' in o && 'desiredCount' in o) {
      baseline ??= { taskDefinition: String(o.taskDefinition), desiredCount: o.desiredCount };
    } else if (str(o.taskDefinition) && str(o.deploymentId)) {
      // update-service (and the rollback's restore): a new deployment of the service.
      change({
        kind: 'service',
        what: `service deployment ${o.deploymentId}`,
        before: baseline ? `${baseline.taskDefinition} × ${baseline.desiredCount}` : null,
        after: `${o.taskDefinition}${o.desiredCount !== undefined ? ` × ${o.desiredCount}` : ''}`,
      });
    } else if (str(o.taskDefinition) && 'from' in o) {
      change({
        kind: 'task-definition',
        what: 'task definition registered',
        before: str(o.from),
        after: String(o.taskDefinition),
      });
    } else if (str(o.taskDefinition) && 'previous' in o) {
      change({
        kind: 'known-good',
        what: 'known-good revision recorded',
        before: str(o.previous),
        after: String(o.taskDefinition),
      });
    } else if (str(o.snapshotId) && str(o.status)) {
      change({ kind: 'snapshot', what: 'RDS snapshot created', before: null, after: String(o.snapshotId) });
    } else if (str(o.taskId) && str(o.location)) {
      // start-export: a snapshot's export to S3.
      change({
        kind: 'export',
        what: 'RDS snapshot export started',
        before: null,
        after: String(o.location),
      });
    } else if (Array.isArray(o.deleted) && o.deleted.length > 0) {
      change({
        kind: 'snapshot',
        what: 'RDS snapshots deleted (retention)',
        before: o.deleted.map(String).join(', '),
        after: null,
      });
    } else if (str(o.key) && str(o.owner) && o.joined !== true) {
      change({ kind: 'lock', what: `lock ${o.key} taken`, before: null, after: String(o.owner) });
    } else if (o.released === true) {
      change({ kind: 'lock', what: 'lock released', before: null, after: null });
    }
  }
  return changes;
}
