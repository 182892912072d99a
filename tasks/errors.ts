// Every error a state machine catches or ends with, by name. `name` is the string a Catch or Retry matches,
// so it is spelled out (never derived from the class name, which a bundler may rename).

/** Base class of the runbook's own errors. */
export abstract class RunbookError extends Error {
  abstract override readonly name: string;
}

/** The execution input or a step's input does not match its schema; nothing was changed. */
export class InvalidInput extends RunbookError {
  override readonly name = 'InvalidInput';
}

/** Another run holds the lock on this target (one run per service). */
export class LockHeld extends RunbookError {
  override readonly name = 'LockHeld';
}

/** The service was not healthy enough to start a deployment (checked before any change). */
export class PreflightFailed extends RunbookError {
  override readonly name = 'PreflightFailed';
}

/** The pre-change database snapshot could not be taken or did not become available. */
export class SnapshotFailed extends RunbookError {
  override readonly name = 'SnapshotFailed';
}

/** The ECS rollout failed (circuit breaker tripped, rolloutState FAILED). */
export class DeploymentFailed extends RunbookError {
  override readonly name = 'DeploymentFailed';
}

/** The rollout did not reach COMPLETED with running == desired within its poll budget. */
export class DeploymentTimedOut extends RunbookError {
  override readonly name = 'DeploymentTimedOut';
}

/** ECS rolled the service back on its own: the PRIMARY deployment no longer carries our task definition. */
export class EcsRolledBack extends RunbookError {
  override readonly name = 'EcsRolledBack';
}

/** The new tasks' targets stayed unhealthy, or never became healthy within the poll budget. */
export class TargetsUnhealthy extends RunbookError {
  override readonly name = 'TargetsUnhealthy';
}

/** A watched CloudWatch alarm went into ALARM while the deployment was baking. */
export class AlarmDuringBake extends RunbookError {
  override readonly name = 'AlarmDuringBake';
}

/** An AWS call failed in a way that is safe to retry (throttling, 5xx); the state machine retries it. */
export class TransientAwsError extends RunbookError {
  override readonly name = 'TransientAwsError';
}

/** A person rejected the approval request (or the decision was not an approval with an approver). */
export class ApprovalRejected extends RunbookError {
  override readonly name = 'ApprovalRejected';
}

/** Nobody decided the approval request before it expired. */
export class ApprovalExpired extends RunbookError {
  override readonly name = 'ApprovalExpired';
}

/** The deployment failed after a change and the rollback restored the service (the cause names what failed). */
export class DeploymentRolledBack extends RunbookError {
  override readonly name = 'DeploymentRolledBack';
}

/** The rollback could not restore the service; a person must act (the on-call is paged). */
export class RollbackFailed extends RunbookError {
  override readonly name = 'RollbackFailed';
}

/** A snapshot export to S3 could not be started, failed, or did not complete within its poll budget. */
export class ExportFailed extends RunbookError {
  override readonly name = 'ExportFailed';
}

/** The restore's source does not exist: no such snapshot of the instance, or none available. Nothing was created. */
export class SnapshotNotFound extends RunbookError {
  override readonly name = 'SnapshotNotFound';
}

/** The point in time asked for is outside the instance's restorable window. Nothing was created. */
export class RestoreWindowExceeded extends RunbookError {
  override readonly name = 'RestoreWindowExceeded';
}

/** The identifier a restore would create is taken by an instance this run did not make. Nothing was overwritten. */
export class RestoreTargetExists extends RunbookError {
  override readonly name = 'RestoreTargetExists';
}

/** The restored instance ended in a terminal state, never became available in its budget, or differs from its source. */
export class RestoreFailed extends RunbookError {
  override readonly name = 'RestoreFailed';
}

/** The cut-over to the restored instance did not complete; the source was renamed back where it could be (a person is paged). */
export class CutoverFailed extends RunbookError {
  override readonly name = 'CutoverFailed';
}

/**
 * A maintenance change (engine upgrade, class change) RDS refused (nothing changed), or one that did
 * not end on the new version or class: that cannot be undone automatically, and a person is paged
 * with the pre-change snapshot to restore from.
 */
export class MaintenanceFailed extends RunbookError {
  override readonly name = 'MaintenanceFailed';
}

/** CloudWatch would not give the figures a resource-usage run reads (refused, or not found): no report. */
export class UsageUnreadable extends RunbookError {
  override readonly name = 'UsageUnreadable';
}

/**
 * A manual scale did not become stable and healthy at its new count within its budget (or ECS
 * refused it): the service and its scalable target were put back as they were.
 */
export class ScalingFailed extends RunbookError {
  override readonly name = 'ScalingFailed';
}

/**
 * configure-autoscaling could not make the service's auto scaling what the config says (refused, or
 * not what was set when read back): what it had changed was put back as it was.
 */
export class AutoScalingNotApplied extends RunbookError {
  override readonly name = 'AutoScalingNotApplied';
}

/**
 * An incident's forced new deployment did not become stable and healthy within its budget: there is
 * no earlier deployment to put back (it ran the same task definition), so a person is paged.
 */
export class RecoveryFailed extends RunbookError {
  override readonly name = 'RecoveryFailed';
}

/** A concrete error class of the runbook's own. */
export type RunbookErrorClass = new (message: string) => RunbookError;

/** The name a Catch, a Retry or a Fail state uses for an error class (a typo fails the type check). */
export const errorName = (error: RunbookErrorClass): string => new error('').name;

/** Names of the AWS and network errors that mean "not done, try again later". */
const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'KMSThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalErrorException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Transient by name, or by what the SDK itself says of the error (a server fault, or retryable). */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as Error & { $fault?: string; $retryable?: unknown; code?: string };
  return (
    TRANSIENT.has(error.name) ||
    TRANSIENT.has(sdk.code ?? '') ||
    sdk.$fault === 'server' ||
    sdk.$retryable !== undefined
  );
}

/**
 * Re-throws a transient AWS error as TransientAwsError (so the state machine's Retry matches it)
 * and any other error unchanged, keeping its name for the Catch.
 */
export function rethrowAws(error: unknown, what: string): never {
  if (error instanceof Error && isTransient(error)) {
    throw new TransientAwsError(`${what}: ${error.name}: ${error.message}`, { cause: error });
  }
  throw error;
}

/** Runs one AWS call, translating transient failures for the state machine's Retry. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    rethrowAws(error, what);
  }
}
