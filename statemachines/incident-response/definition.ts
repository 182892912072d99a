// The runbook's "P0 Incident Response", its Investigation and Resolution Actions: the input
// validated; then, always first and read-only, the diagnostics (recent changes from CloudTrail, the
// service's deployments, events and stopped tasks, target health, the load balancer's 5xx and
// latency, application ERROR lines, the database), one bundle announced where the severity goes.
// Then the action asked for:
// - diagnostics: done;
// - scale-up: the scale-service procedure, nested (its lock, its scaler-holding plan, its wait, and
//   its putting the count back when the scale does not settle);
// - force-new-deployment: the service's lock, a forced new deployment, and the deployment's own
//   wait until the new tasks run and are healthy. It runs the same task definition as the deployment
//   it replaces, so there is nothing to put back when it does not recover: a person is paged.
// How the action ended is announced where the severity goes, and on the runbook's own topic.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import {
  errorName,
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RecoveryFailed,
  RollbackFailed,
  ScalingFailed,
} from '../../tasks/errors.ts';
import { forceDeployment } from '../../tasks/incident-response/force-deployment.ts';
import { notifyIncident, type OUTCOMES } from '../../tasks/incident-response/notify-incident.ts';
import { readChanges } from '../../tasks/incident-response/read-changes.ts';
import { readDatabase } from '../../tasks/incident-response/read-database.ts';
import { readErrors } from '../../tasks/incident-response/read-errors.ts';
import { readService } from '../../tasks/incident-response/read-service.ts';
import { readTargets } from '../../tasks/incident-response/read-targets.ts';
import { readTraffic } from '../../tasks/incident-response/read-traffic.ts';
import { reportDiagnostics } from '../../tasks/incident-response/report-diagnostics.ts';
import type { SectionName } from '../../tasks/incident-response/sections.ts';
import { validateIncidentInput } from '../../tasks/incident-response/validate-incident-input.ts';
import type { Worker } from '../../tasks/worker.ts';
import { addNestedStartRetry, invokeWorker } from '../invoke-worker.ts';
import { failurePaths, failWith, releaseAndPage, succeedRun } from '../outcomes.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { scaleService } from '../scale-service/procedure.ts';
import { waitUntilStable } from '../service-steps.ts';

/** The readers, in the runbook's order: their states, sections and what each reads. */
const READERS: readonly { name: string; section: SectionName; worker: Worker; comment: string }[] = [
  {
    name: 'Read Recent Changes',
    section: 'changes',
    worker: readChanges,
    comment:
      'Runbook Investigation: CloudTrail write events of the last 2 hours touching the service, its scaler, target group or database, and security groups.',
  },
  {
    name: 'Read Service',
    section: 'service',
    worker: readService,
    comment: "The service's deployments, its latest ECS events, and its stopped tasks with ECS's reasons.",
  },
  {
    name: 'Read Target Health',
    section: 'targets',
    worker: readTargets,
    comment: "Runbook Load Balancer Issues: the target group's targets, each state with ELB's reason code.",
  },
  {
    name: 'Read Traffic',
    section: 'traffic',
    worker: readTraffic,
    comment: "Runbook Investigation: the load balancer's requests, 5xx and response time, the last hour.",
  },
  {
    name: 'Read Error Logs',
    section: 'errors',
    worker: readErrors,
    comment: "Runbook Investigation: the latest ERROR lines of the environment's application log groups.",
  },
  {
    name: 'Read Database',
    section: 'database',
    worker: readDatabase,
    comment: "Runbook Database Connection Issues: the service's RDS instance, its status and events.",
  },
];

export function incidentResponseDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);

  const validate = validateInput(scope, deps, validateIncidentInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves the service, what the diagnostics read, and where an incident of its severity is announced. Changes nothing.',
  });

  // 1. Diagnostics, one reader after another: a reader that cannot run leaves its error as its section.
  const start = new sfn.Pass(scope, 'Start Diagnostics', {
    stateName: 'Start Diagnostics',
    comment: 'Each reader leaves its section, or the error that stopped it, under $.results.',
    result: sfn.Result.fromObject({}),
    resultPath: '$.results',
  });
  const readers = READERS.map(({ name, section, worker, comment }) => ({
    section,
    task: invokeWorker(scope, name, deps, worker, {
      comment,
      payload: {
        'request.$': '$.request',
        ...(worker !== readTargets && { 'now.$': '$$.State.EnteredTime' }),
      },
      resultPath: `$.results.${section}`,
      retry: 'read',
    }),
  }));
  const report = invokeWorker(scope, 'Report Diagnostics', deps, reportDiagnostics, {
    comment: 'Every section in one bundle, with what stands out across them.',
    payload: { 'request.$': '$.request', 'results.$': '$.results' },
    resultPath: '$.report',
    retry: 'read',
  });
  report.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.failure' });

  /** Announces the incident where its severity goes; a notice that cannot be sent never holds up the action. */
  const announce = (stateName: string, comment: string, outcome: keyof typeof OUTCOMES, detail?: string) => {
    const step = invokeWorker(scope, stateName, deps, notifyIncident, {
      comment,
      payload: {
        topicArn: deps.topicArn,
        'executionId.$': '$$.Execution.Id',
        'request.$': '$.request',
        'report.$': '$.report',
        outcome,
        ...(detail && { 'detail.$': detail }),
      },
      resultPath: `$.notices.${outcome.replace(/-(.)/g, (_, c: string) => c.toUpperCase())}`,
      retry: 'change',
    });
    return step;
  };
  const announceIncident = announce(
    'Announce Incident',
    'The bundle, where the severity goes: P0 pages on-call and notifies leadership, P1 alerts on-call, P2 the team channel, P3 a ticket.',
    'diagnosed',
  );

  // 2. How an action ends: announced where the severity goes, then on the runbook's topic.
  const done = succeedRun(scope, deps, {
    succeed: 'Recovered',
    comment: 'The action is done: the service runs and its tasks are healthy.',
    detail: "States.Format('{} {}: {}', $.request.severity, $.request.incident, $.outcome.text)",
  });
  const announceRecovered = announce(
    'Announce Recovered',
    'How the action ended, where the severity goes.',
    'recovered',
    '$.outcome.text',
  );
  announceRecovered.addCatch(done, { errors: ['States.ALL'], resultPath: '$.noticeError' });
  announceRecovered.next(done);

  // Refused before any change (the lock held, a deployment under way, not a scale-up): said where
  // the severity goes, then the lock (if this run took it) released and the failure announced.
  const announceRefused = announce(
    'Announce Refused',
    'The action was refused before any change, where the severity goes.',
    'refused',
    '$.failure.note',
  );
  announceRefused.addCatch(releaseAndFail, { errors: ['States.ALL'], resultPath: '$.noticeError' });
  announceRefused.next(releaseAndFail);
  const refused = (stateName: string, comment: string) => {
    const step = new sfn.Pass(scope, stateName, {
      stateName,
      comment,
      parameters: {
        'Error.$': '$.failure.Error',
        // The whole caught error as its cause: a Catch's output may come without a Cause.
        'Cause.$': 'States.JsonToString($.failure)',
        'note.$': "States.Format('{} was refused before any change: {}', $.request.action, $.failure.Error)",
      },
      resultPath: '$.failure',
    });
    step.next(announceRefused);
    return step;
  };

  const recoveryFailed = failWith(
    scope,
    'Recovery Failed',
    RecoveryFailed,
    'The forced new deployment did not recover the service.',
  );
  const pageNotRecovered = releaseAndPage(scope, deps, recoveryFailed, {
    event: 'recovery-failed',
    names: {
      release: 'Release Lock After Failed Recovery',
      notify: 'Page Not Recovered',
      explain: 'Explain Not Recovered',
    },
  });
  const scaleRolledBack = new sfn.Fail(scope, 'Scale Rolled Back', {
    stateName: 'Scale Rolled Back',
    comment: 'The scale did not settle; scale-service put the count back as it was, and announced it.',
    error: errorName(ScalingFailed),
    causePath: '$.failure.note',
  });
  const scaleNotRestored = new sfn.Fail(scope, 'Scale Restore Failed', {
    stateName: 'Scale Restore Failed',
    comment: 'Neither the scale nor putting it back settled; scale-service paged.',
    error: errorName(RollbackFailed),
    causePath: '$.failure.note',
  });
  const whatFailed = new sfn.Choice(scope, 'What Failed?', { stateName: 'What Failed?' })
    .when(sfn.Condition.stringEquals('$.request.action', 'force-new-deployment'), pageNotRecovered)
    .when(sfn.Condition.stringEquals('$.failure.Error', errorName(ScalingFailed)), scaleRolledBack)
    .when(sfn.Condition.stringEquals('$.failure.Error', errorName(RollbackFailed)), scaleNotRestored)
    .otherwise(notifyFailure);
  const announceNotRecovered = announce(
    'Announce Not Recovered',
    'How the action ended, where the severity goes.',
    'not-recovered',
    '$.failure.note',
  );
  announceNotRecovered.addCatch(whatFailed, { errors: ['States.ALL'], resultPath: '$.noticeError' });
  announceNotRecovered.next(whatFailed);

  // 3a. scale-up: scale-service, nested; it locks the service, refuses a count that is not above the
  // one the service wants when it reads it, holds the count against the scaler, waits, and puts the
  // count back when the scale does not settle.
  const scaleBudget = scaleService.budget({ timing: deps.timing, catalogue: deps.catalogue }).runSeconds;
  const scaleUp = new tasks.StepFunctionsStartExecution(scope, 'Scale Up', {
    stateName: 'Scale Up',
    comment:
      'Runbook High CPU/Memory: the scale-service procedure, nested, to the count asked (a scale-up only); it holds the count against the scaler, and puts it back if it does not settle.',
    stateMachine: deps.stateMachine(scaleService),
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    associateWithParent: true,
    // A fixed name: a retried start returns the run already going, not a second scale.
    name: sfn.JsonPath.format(
      'incident-{}-{}',
      sfn.JsonPath.hash(sfn.JsonPath.stringAt('$$.Execution.Id'), 'SHA-256'),
      sfn.JsonPath.stringAt('$$.Execution.RedriveCount'),
    ),
    input: sfn.TaskInput.fromObject({
      'environment.$': '$.request.environment',
      'service.$': '$.request.service',
      'desiredCount.$': '$.request.desiredCount',
      upOnly: true,
      'reason.$':
        "States.Format('{} {}: scale-up asked by incident-response', $.request.severity, $.request.incident)",
      'requestedBy.$': '$.request.requestedBy',
      'changeRequest.$': '$.request.changeRequest',
    }),
    resultSelector: { 'status.$': '$.Status', 'executionArn.$': '$.ExecutionArn' },
    resultPath: '$.scale',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(scaleBudget + 300)),
  });
  addNestedStartRetry(scaleUp);
  const recordScale = new sfn.Pass(scope, 'Record Scale', {
    stateName: 'Record Scale',
    parameters: {
      'text.$':
        "States.Format('{} runs {} tasks now, every one healthy (scale-service run {})', $.request.serviceName, $.request.desiredCount, $.scale.executionArn)",
    },
    resultPath: '$.outcome',
  });
  scaleUp.next(recordScale).next(announceRecovered);
  // A nested run that failed reports its own error and cause inside the Cause, as JSON (one that
  // timed out or was stopped has neither): read them out.
  const readScaleFailure = new sfn.Pass(scope, 'Read Scale Failure', {
    stateName: 'Read Scale Failure',
    parameters: { 'run.$': 'States.StringToJson($.failure.Cause)' },
    resultPath: '$.scaleRun',
  });
  const recordScaleFailure = new sfn.Pass(scope, 'Record Scale Failure', {
    stateName: 'Record Scale Failure',
    parameters: {
      'Error.$': '$.scaleRun.run.Error',
      'Cause.$': '$.scaleRun.run.Cause',
      'note.$':
        "States.Format('The scale-service run {} ended {}: {}', $.scaleRun.run.ExecutionArn, $.scaleRun.run.Error, $.scaleRun.run.Cause)",
    },
    resultPath: '$.failure',
  });
  const recordScaleEnded = new sfn.Pass(scope, 'Record Scale Ended', {
    stateName: 'Record Scale Ended',
    comment: 'The nested run ended without an error of its own: it timed out or was stopped.',
    parameters: {
      'Error.$': '$.failure.Error',
      'Cause.$': 'States.JsonToString($.failure)',
      'note.$':
        "States.Format('The scale-service run {} ended {} without finishing: look at it before anything else', $.scaleRun.run.ExecutionArn, $.scaleRun.run.Status)",
    },
    resultPath: '$.failure',
  });
  recordScaleEnded.next(announceNotRecovered);
  const scaleRefused = new sfn.Choice(scope, 'Scale Refused?', { stateName: 'Scale Refused?' })
    .when(
      sfn.Condition.or(
        ...[LockHeld, PreflightFailed, InvalidInput].map((e) =>
          sfn.Condition.stringEquals('$.failure.Error', errorName(e)),
        ),
      ),
      announceRefused,
    )
    .otherwise(announceNotRecovered);
  recordScaleFailure.next(scaleRefused);
  readScaleFailure.next(
    new sfn.Choice(scope, 'Scale Run Failed?', { stateName: 'Scale Run Failed?' })
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.scaleRun.run.Error'),
          sfn.Condition.isPresent('$.scaleRun.run.Cause'),
        ),
        recordScaleFailure,
      )
      .otherwise(recordScaleEnded),
  );
  const otherScaleFailure = new sfn.Pass(scope, 'Record Scale Not Started', {
    stateName: 'Record Scale Not Started',
    comment: 'The nested run could not be started or followed (throttled past the retries, timed out).',
    parameters: {
      'Error.$': '$.failure.Error',
      'Cause.$': 'States.JsonToString($.failure)',
      'note.$':
        "States.Format('The scale-service run could not be started or followed: {}', $.failure.Error)",
    },
    resultPath: '$.failure',
  });
  otherScaleFailure.next(announceNotRecovered);
  const nestedFailure = new sfn.Choice(scope, 'Scale Run Ended?', { stateName: 'Scale Run Ended?' })
    // A failure with no Cause (a timeout may have none) is not one: guarded as the Choice docs do.
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.failure.Error', 'States.TaskFailed'),
        sfn.Condition.isPresent('$.failure.Cause'),
        sfn.Condition.isString('$.failure.Cause'),
        sfn.Condition.stringMatches('$.failure.Cause', '{*'),
      ),
      readScaleFailure,
    )
    .otherwise(otherScaleFailure);
  scaleUp.addCatch(nestedFailure, { errors: ['States.ALL'], resultPath: '$.failure' });

  // 3b. force-new-deployment: the lock, the forced deployment, the deployment's own wait.
  const refusedAtLock = refused('Record Lock Refusal', 'The lock could not be taken: nothing was changed.');
  const lock = acquireLock(
    scope,
    deps,
    'One run per service: a deployment, a rollback, a scale and an incident action of one service exclude each other.',
    { held: refusedAtLock, other: refusedAtLock },
  );
  const force = invokeWorker(scope, 'Force New Deployment', deps, forceDeployment, {
    comment:
      'Runbook Application Crash Loop: update-service --force-new-deployment; refused while a deployment is under way. Retried even when its function died: a retry follows the deployment the step made rather than forcing another.',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.forced',
    retry: 'read',
  });
  force.addCatch(refused('Record Force Refusal', 'The forced deployment was refused: nothing was changed.'), {
    errors: ['States.ALL'],
    resultPath: '$.failure',
  });
  const redeployed = waitUntilStable(
    scope,
    deps,
    {
      cluster: '$.request.cluster',
      service: '$.request.serviceName',
      taskDefinition: '$.forced.taskDefinition',
      deploymentId: '$.forced.deploymentId',
      targetGroupArn: '$.request.targetGroupArn',
      targetType: '$.request.targetType',
    },
    { subject: 'Redeployment', done: 'Redeployment Complete', resultPath: '$.redeployment' },
  );
  const recordRedeployment = new sfn.Pass(scope, 'Record Redeployment', {
    stateName: 'Record Redeployment',
    parameters: {
      'text.$':
        "States.Format('{} runs new tasks of {} (deployment {}), every one healthy; {} of {} were running before', $.request.serviceName, $.forced.taskDefinition, $.forced.deploymentId, $.forced.runningCount, $.forced.desiredCount)",
    },
    resultPath: '$.outcome',
  });
  redeployed.next(recordRedeployment).next(announceRecovered);
  const notRecovered = new sfn.Pass(scope, 'Record Not Recovered', {
    stateName: 'Record Not Recovered',
    comment:
      'The forced deployment did not become stable and healthy: nothing to put back, a person must look.',
    parameters: {
      'Error.$': '$.failure.Error',
      'Cause.$': 'States.JsonToString($.failure)',
      'note.$':
        "States.Format('The forced new deployment {} of {} did not become stable and healthy ({}). It runs the same task definition as the deployment before it, so there is nothing to put back: read the diagnostics, and roll back to an earlier release (the rollback procedure) if a recent change caused this', $.forced.deploymentId, $.request.serviceName, $.failure.Error)",
    },
    resultPath: '$.failure',
  });
  notRecovered.next(announceNotRecovered);
  redeployed.check.addCatch(notRecovered, { errors: ['States.ALL'], resultPath: '$.failure' });
  lock.next(force).next(redeployed);

  // Wiring.
  const diagnosed = new sfn.Succeed(scope, 'Diagnosed', {
    stateName: 'Diagnosed',
    comment: 'Diagnostics only: the bundle is the output, and was announced where the severity goes.',
    outputPath: '$.report',
  });
  const action = new sfn.Choice(scope, 'Which Action?', { stateName: 'Which Action?' })
    .when(sfn.Condition.stringEquals('$.request.action', 'diagnostics'), diagnosed)
    .when(sfn.Condition.stringEquals('$.request.action', 'scale-up'), scaleUp)
    .otherwise(lock);
  // A bundle that reached nobody (not even the runbook's topic, as a page) fails a diagnostics run;
  // an action goes on regardless: its own notices try again.
  const unheard = new sfn.Pass(scope, 'Record Unheard Incident', {
    stateName: 'Record Unheard Incident',
    comment: 'The bundle was announced nowhere: the run fails, and its failure notice tries once more.',
    parameters: { 'Error.$': '$.noticeError.Error', 'Cause.$': 'States.JsonToString($.noticeError)' },
    resultPath: '$.failure',
  });
  unheard.next(notifyFailure);
  const heard = new sfn.Choice(scope, 'Diagnostics Only?', { stateName: 'Diagnostics Only?' })
    .when(sfn.Condition.stringEquals('$.request.action', 'diagnostics'), unheard)
    .otherwise(action);
  announceIncident.addCatch(heard, { errors: ['States.ALL'], resultPath: '$.noticeError' });
  announceIncident.next(action);

  validate.next(start);
  let previous: sfn.INextable = start;
  for (const [i, { section, task }] of readers.entries()) {
    previous.next(task);
    task.addCatch(readers[i + 1]?.task ?? report, {
      errors: ['States.ALL'],
      resultPath: `$.results.${section}`,
    });
    previous = task;
  }
  previous.next(report);
  report.next(announceIncident);
  return validate;
}
