// Steps deploy and rollback share: point a service somewhere, wait until the rollout is ours and
// complete with the new tasks' targets healthy, and switch the maintenance page.
import type { Construct } from 'constructs';
import { checkDeployment } from '../tasks/check-deployment.ts';
import { updateService } from '../tasks/update-service.ts';
import { invokeWorker } from './invoke-worker.ts';
import { PollUntilDone } from './poll-until-done.ts';
import type { Deps } from './procedure.ts';

/** Paths into the state where a service step finds its target. */
export interface ServicePaths {
  readonly cluster: string;
  readonly service: string;
}

export interface StableNames {
  /** What is watched, e.g. "Rollout": Start Watching Rollout, Check Rollout, Wait Before Next Rollout Check. */
  readonly subject: string;
  /** The outcome waited for, e.g. "Rollout Complete": the Choice "Rollout Complete?" and the exit "Rollout Complete". */
  readonly done: string;
  /** Where the latest check result is kept. */
  readonly resultPath: string;
}

const ROLLOUT: StableNames = { subject: 'Rollout', done: 'Rollout Complete', resultPath: '$.rollout' };

export function waitUntilStable(
  scope: Construct,
  deps: Deps,
  target: ServicePaths & {
    /** Paths to the task definition and the deployment our UpdateService started, when it started one. */
    taskDefinition?: string;
    deploymentId?: string;
    /** The desired count our UpdateService set, when it set one (a number, or a path to it). */
    desiredCount?: number | { readonly path: string };
    /** Instead, a path to the desired counts that count as done ({min, max}): a scaler may move it on. */
    desiredRange?: string;
    /** A count alone starts no deployment: the PRIMARY's failed tasks are then not the change's. @default true */
    deploymentMade?: boolean;
    /** Paths to the service's target group and its target type: its new targets must be healthy too. */
    targetGroupArn?: string;
    targetType?: string;
  },
  names: StableNames = ROLLOUT,
) {
  const targets = target.targetGroupArn && target.targetType && target.taskDefinition;
  return new PollUntilDone(scope, `Wait Until ${names.done}`, deps, {
    names: {
      start: `Start Watching ${names.subject}`,
      check: `Check ${names.subject}`,
      done: `${names.done}?`,
      wait: `Wait Before Next ${names.subject} Check`,
      finished: names.done,
    },
    comment: targets
      ? 'Done only when the PRIMARY deployment is ours, carries our task definition, its rolloutState is COMPLETED, running == desired, and as many new targets are healthy; TargetsUnhealthy when a new target stays unhealthy.'
      : 'Done only when the PRIMARY deployment is ours, its rolloutState is COMPLETED and running == desired.',
    worker: checkDeployment,
    payload: {
      'cluster.$': target.cluster,
      'service.$': target.service,
      ...(target.taskDefinition && { 'taskDefinition.$': target.taskDefinition }),
      ...(target.deploymentId && { 'deploymentId.$': target.deploymentId }),
      ...(typeof target.desiredCount === 'number' && { desiredCount: target.desiredCount }),
      ...(typeof target.desiredCount === 'object' && { 'desiredCount.$': target.desiredCount.path }),
      ...(target.desiredRange && { 'desiredRange.$': target.desiredRange }),
      ...(target.deploymentMade === false && { deploymentMade: false }),
      ...(targets && {
        targets: {
          'targetGroupArn.$': target.targetGroupArn,
          'targetType.$': target.targetType,
          unhealthyLimit: deps.timing.unhealthyLimit,
        },
        'unhealthyStreak.$': `${names.resultPath}.unhealthyStreak`,
        'now.$': '$$.State.EnteredTime',
      }),
    },
    ...(targets && { initial: { unhealthyStreak: 0 } }),
    resultPath: names.resultPath,
    intervalSeconds: deps.timing.deploymentIntervalSeconds,
    maxAttempts: deps.timing.deploymentMaxPolls,
  });
}

/** Scales the maintenance page service (1 = on, 0 = off) and waits until it has settled. */
export function switchMaintenancePage(scope: Construct, deps: Deps, on: boolean, pagePath: string) {
  const label = on ? 'Maintenance Page On' : 'Maintenance Page Off';
  const scale = invokeWorker(scope, label, deps, updateService, {
    comment: on
      ? 'Runbook step 2: show the maintenance page while the service rolls.'
      : 'Runbook step 8: hide the maintenance page.',
    payload: {
      'cluster.$': `${pagePath}.cluster`,
      'service.$': `${pagePath}.service`,
      desiredCount: on ? 1 : 0,
    },
    resultPath: null,
    retry: 'change',
  });
  const settle = waitUntilStable(
    scope,
    deps,
    { cluster: `${pagePath}.cluster`, service: `${pagePath}.service`, desiredCount: on ? 1 : 0 },
    on
      ? { subject: 'Maintenance Page', done: 'Maintenance Page Serving', resultPath: '$.pageUp' }
      : { subject: 'Maintenance Page Shutdown', done: 'Maintenance Page Stopped', resultPath: '$.pageDown' },
  );
  scale.next(settle);
  return { start: scale, tasks: [scale, settle.check], end: settle };
}

/**
 * Points the request's service at a task definition (with its desired count, if the request sets
 * one), then waits until the rollout is ours and complete, with the new tasks' targets healthy.
 */
export function rollOut(
  scope: Construct,
  deps: Deps,
  props: { stateName: string; comment: string; taskDefinition: string; resultPath: string },
) {
  const update = invokeWorker(scope, props.stateName, deps, updateService, {
    comment: props.comment,
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'taskDefinition.$': props.taskDefinition,
      'desiredCount.$': '$.request.desiredCount',
    },
    resultPath: props.resultPath,
    retry: 'change',
  });
  const stable = waitUntilStable(scope, deps, {
    cluster: '$.request.cluster',
    service: '$.request.serviceName',
    taskDefinition: props.taskDefinition,
    deploymentId: `${props.resultPath}.deploymentId`,
    targetGroupArn: '$.request.targetGroupArn',
    targetType: '$.request.targetType',
  });
  update.next(stable);
  return { start: update, end: stable, tasks: [update, stable.check] };
}
