// The run archive: every ended execution of the stack's machines, kept in S3 for years as its run
// record (all histories, the definition that ran) and its audit report. Step Functions keeps a
// history 90 days; auditors ask about last year. EventBridge hands each ended run to archive-run; its
// delivery is best effort, so sweep-archive looks hourly for ended runs not archived yet. What still
// cannot be written (EventBridge's and Lambda's retries spent) lands in an encrypted queue that alarms.
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { archiveRun } from '../../tasks/audit/archive-run.ts';
import { sweepArchive } from '../../tasks/audit/sweep-archive.ts';
import type { Config } from '../config.ts';
import { PRIVATE_BUCKET } from './private-bucket.ts';
import type { Workers } from './workers.ts';

/** The bucket alone: the workers' grants need it before the machines exist. */
export function archiveBucket(scope: Construct, archive: Config['archive']): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'RunArchive', {
    ...PRIVATE_BUCKET,
    ...(archive.objectLock && {
      objectLockEnabled: true,
      objectLockDefaultRetention:
        archive.objectLock.mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(archive.objectLock.days))
          : s3.ObjectLockRetention.governance(Duration.days(archive.objectLock.days)),
    }),
    lifecycleRules: [
      {
        id: 'retention',
        prefix: 'runs/',
        expiration: Duration.days(archive.retentionDays),
        // A record rewritten (a changed run record) keeps its older version as long.
        noncurrentVersionExpiration: Duration.days(archive.retentionDays),
      },
    ],
  });
  // `runbook history` and `runbook audit` find the archive by this output.
  new CfnOutput(scope, 'RunArchiveBucket', {
    value: bucket.bucketName,
    description: 'The run archive bucket',
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions::AwsSolutions-S1',
    reason:
      'Who wrote what is in the objects themselves (each names its execution) and in CloudTrail; server access logs would need a second bucket kept as long.',
  });
  return bucket;
}

export interface RunArchiveProps {
  readonly bucket: s3.Bucket;
  readonly workers: Workers;
  readonly stateMachineArns: string[];
  readonly machinePrefix: string;
  readonly topic: sns.ITopic;
  readonly sweepDays: number;
}

export class RunArchive extends Construct {
  constructor(scope: Construct, id: string, props: RunArchiveProps) {
    super(scope, id);
    const { bucket, workers, stateMachineArns, machinePrefix } = props;
    const unwritten = new sqs.Queue(this, 'Unwritten', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(unwritten).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'It is the dead-letter queue itself: of the archive rule and of its functions.',
    });
    const archiver = workers.fn(archiveRun);
    const sweeper = workers.fn(sweepArchive);
    for (const fn of [archiver, sweeper])
      fn.configureAsyncInvoke({ onFailure: new destinations.SqsDestination(unwritten), retryAttempts: 2 });
    const target = (fn: typeof archiver, input: Record<string, unknown>) =>
      new eventTargets.LambdaFunction(fn, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: unwritten,
        event: events.RuleTargetInput.fromObject(input),
      });
    new events.Rule(this, 'Ended', {
      description: "Archives each ended run of the runbook's machines: its histories and its audit report.",
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: stateMachineArns,
        },
      },
      targets: [
        target(archiver, {
          bucket: bucket.bucketName,
          executionArn: events.EventField.fromPath('$.detail.executionArn'),
          machinePrefix,
        }),
      ],
    });
    new events.Rule(this, 'Sweep', {
      description: 'Archives the ended runs EventBridge did not hand over (its delivery is best effort).',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [
        target(sweeper, {
          bucket: bucket.bucketName,
          stateMachineArns,
          machinePrefix,
          sinceDays: props.sweepDays,
        }),
      ],
    });
    const alarm = (name: string, description: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
    alarm(
      'NotArchived',
      'A run could not be archived after every retry: its record is not in the archive yet (the event is in the Unwritten queue; the sweep tries again while Step Functions has the history).',
      unwritten.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    alarm(
      'ArchiveErrors',
      'The archive functions fail: runs are not being archived.',
      new cloudwatch.MathExpression({
        expression: 'a + b',
        usingMetrics: {
          a: archiver.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
          b: sweeper.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        },
        period: Duration.minutes(15),
      }),
    );
  }
}
