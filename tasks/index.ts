// Every worker by name: the CDK app makes one Lambda function of each, the rehearsal serves each in-process.
import { acquireLock } from './acquire-lock.ts';
import { captureBaseline } from './capture-baseline.ts';
import { checkAlarms } from './check-alarms.ts';
import { checkDeployment } from './check-deployment.ts';
import { checkRelease } from './check-release.ts';
import { checkSnapshot } from './check-snapshot.ts';
import { checkTargetHealth } from './check-target-health.ts';
import { createSnapshot } from './create-snapshot.ts';
import { findKnownGood } from './find-known-good.ts';
import { handOverLock } from './hand-over-lock.ts';
import { handleAbandonedRun } from './handle-abandoned-run.ts';
import { notify } from './notify.ts';
import { recordKnownGood } from './record-known-good.ts';
import { registerTaskDefinition } from './register-task-definition.ts';
import { releaseLock } from './release-lock.ts';
import { requestApproval } from './request-approval.ts';
import { updateService } from './update-service.ts';
import { validateDeploymentInput } from './validate-deployment-input.ts';
import { validateRollbackInput } from './validate-rollback-input.ts';
import type { Worker } from './worker.ts';

export const workers = {
  'validate-deployment-input': validateDeploymentInput,
  'validate-rollback-input': validateRollbackInput,
  'acquire-lock': acquireLock,
  'release-lock': releaseLock,
  'hand-over-lock': handOverLock,
  'capture-baseline': captureBaseline,
  'check-release': checkRelease,
  'request-approval': requestApproval,
  'create-snapshot': createSnapshot,
  'check-snapshot': checkSnapshot,
  'register-task-definition': registerTaskDefinition,
  'update-service': updateService,
  'check-deployment': checkDeployment,
  'check-target-health': checkTargetHealth,
  'check-alarms': checkAlarms,
  notify,
  'record-known-good': recordKnownGood,
  'find-known-good': findKnownGood,
  'handle-abandoned-run': handleAbandonedRun,
} satisfies Record<string, Worker>;

export type WorkerName = keyof typeof workers;
