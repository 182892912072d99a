// The runbook's "Monitor Resource Usage": the input validated, then every figure of the environment
// (ECS clusters and services, RDS instances, S3 buckets) read over the window that ends now and the
// same window a week before, in one batched CloudWatch query each, and judged against its threshold.
// The report is the run's output; it is announced only when a figure breaches its threshold.
// Read-only, on every path: it takes no lock.
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { notifyBreach } from '../../tasks/resource-usage/notify-breach.ts';
import { readUsage } from '../../tasks/resource-usage/read-usage.ts';
import { validateResourceUsageInput } from '../../tasks/resource-usage/validate-resource-usage-input.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { announceReport, failRun, failureNotice } from '../outcomes.ts';
import type { Deps } from '../procedure.ts';
import { validateInput } from '../run-start.ts';

export function resourceUsageDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const fail = failRun(scope);
  const notifyFailure = failureNotice(scope, deps, fail);

  const validate = validateInput(scope, deps, validateResourceUsageInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves from config every figure to read and its threshold; changes nothing.',
  });

  const read = invokeWorker(scope, 'Read Usage', deps, readUsage, {
    comment:
      'Runbook "Monitor Resource Usage": every figure over the window and the same window a week before (GetMetricData, one batched query each), judged against its threshold.',
    payload: { 'request.$': '$.request', 'now.$': '$$.State.EnteredTime' },
    resultPath: '$.report',
    retry: 'read',
  });
  // Figures that cannot be read are no report at all: the run fails and says why.
  read.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.failure' });

  const anyBreach = announceReport(scope, deps, notifyFailure, {
    choice: 'Any Breach?',
    worker: notifyBreach,
    announce: {
      stateName: 'Notify Breach',
      comment:
        "Announces the figures beyond their threshold, at the severity the environment's config gives a breach.",
    },
    announced: {
      stateName: 'Breach Recorded',
      comment: 'A figure is beyond its threshold, and was announced. The report is the output.',
    },
    quiet: {
      stateName: 'Within Thresholds',
      comment: 'No figure beyond its threshold: nothing to announce. The report is the output.',
    },
  });

  validate.next(read);
  read.next(anyBreach);
  return validate;
}
