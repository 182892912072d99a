// The runbook's "Morning Health Check": the input validated, then the runbook's seven checks one
// after another (network, databases, services, load balancers, alarms, logs), each
// finding with what was expected and what was there. A check that cannot run is a failed finding, not
// a failed run. The report is the run's output; it is announced only when something is off, at the
// severity the environment's config gives it. Read-only, on every path: it takes no lock.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { checkDatabases } from '../../tasks/health-check/check-databases.ts';
import { checkFiringAlarms } from '../../tasks/health-check/check-firing-alarms.ts';
import { checkLoadBalancers } from '../../tasks/health-check/check-load-balancers.ts';
import { checkLogs } from '../../tasks/health-check/check-logs.ts';
import { checkNetwork } from '../../tasks/health-check/check-network.ts';
import { checkServices } from '../../tasks/health-check/check-services.ts';
import { type CheckName, resultKey } from '../../tasks/health-check/findings.ts';
import { notifyFindings } from '../../tasks/health-check/notify-findings.ts';
import { reportHealth } from '../../tasks/health-check/report-health.ts';
import { validateHealthCheckInput } from '../../tasks/health-check/validate-health-check-input.ts';
import type { Worker } from '../../tasks/worker.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { announceReport, failRun, failureNotice } from '../outcomes.ts';
import type { Deps } from '../procedure.ts';
import { validateInput } from '../run-start.ts';

/** Each check: its state's name, its worker, and what the runbook's step checks. */
const CHECK_STATES: readonly { name: string; check: CheckName; worker: Worker; comment: string }[] = [
  {
    name: 'Check Network',
    check: 'network',
    worker: checkNetwork,
    comment: "Runbook steps 1 and 2: the environment's VPCs (by tag) and their NAT gateways are available.",
  },
  {
    name: 'Check Databases',
    check: 'databases',
    worker: checkDatabases,
    comment: "Runbook step 3: the environment's RDS instances are available.",
  },
  {
    name: 'Check Services',
    check: 'services',
    worker: checkServices,
    comment: 'Runbook step 4: every ECS service runs as many tasks as it wants, its rollout completed.',
  },
  {
    name: 'Check Load Balancers',
    check: 'load-balancers',
    worker: checkLoadBalancers,
    comment: "Runbook step 5: the load balancer in front of each service's target group is active.",
  },
  {
    name: 'Check Alarms',
    check: 'alarms',
    worker: checkFiringAlarms,
    comment: 'Runbook step 6: no metric or composite alarm of the environment is in ALARM.',
  },
  {
    name: 'Check Logs',
    check: 'logs',
    worker: checkLogs,
    comment: "Runbook step 7: recent ERROR events in the application's log groups stay under their limit.",
  },
];

export function healthCheckDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const fail = failRun(scope);
  const notifyFailure = failureNotice(scope, deps, fail);

  const validate = validateInput(scope, deps, validateHealthCheckInput, {
    procedure,
    fail,
    comment: 'Checks the input and resolves what the checks read from config; changes nothing.',
  });

  // One after another: a check is a few calls, and the whole run takes seconds either way.
  const start = new sfn.Pass(scope, 'Start Checks', {
    stateName: 'Start Checks',
    comment: 'Each check leaves its findings, or the error that stopped it, under $.results.',
    result: sfn.Result.fromObject({}),
    resultPath: '$.results',
  });
  const tasks = CHECK_STATES.map(({ name, check, worker, comment }) => ({
    check,
    task: invokeWorker(scope, name, deps, worker, {
      comment,
      payload: {
        'request.$': '$.request',
        ...(worker === checkLogs && { 'now.$': '$$.State.EnteredTime' }),
      },
      resultPath: `$.results.${resultKey(check)}`,
      retry: 'read',
    }),
  }));

  const report = invokeWorker(scope, 'Report Health', deps, reportHealth, {
    comment:
      "Every finding in one report: the verdict, the counts, and how loud its notice is by the environment's config.",
    payload: { 'request.$': '$.request', 'results.$': '$.results' },
    resultPath: '$.report',
    retry: 'read',
  });
  report.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.failure' });

  const anythingOff = announceReport(scope, deps, notifyFailure, {
    choice: 'Anything Off?',
    worker: notifyFindings,
    announce: {
      stateName: 'Notify Findings',
      comment:
        "Announces what is off, at the severity the environment's config gives a failure or a warning.",
    },
    announced: {
      stateName: 'Findings Recorded',
      comment: 'Something is off and was announced. The report is the output.',
    },
    quiet: {
      stateName: 'Healthy',
      comment: 'Every check passed: nothing to announce. The report is the output.',
    },
  });

  // Each check goes on to the next whether it found something or could not run (after its retries):
  // then the error that stopped it is its result, a failed finding of the report, not a failed run.
  validate.next(start);
  let previous: sfn.INextable = start;
  for (const [i, { check, task }] of tasks.entries()) {
    previous.next(task);
    task.addCatch(tasks[i + 1]?.task ?? report, {
      errors: ['States.ALL'],
      resultPath: `$.results.${resultKey(check)}`,
    });
    previous = task;
  }
  previous.next(report);
  report.next(anythingOff);
  return validate;
}
