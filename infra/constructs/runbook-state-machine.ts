// One procedure as a Standard state machine, with what every production state machine needs:
// a log group at level ALL, X-Ray tracing, an execution timeout, and alarms on failed, timed-out
// and aborted executions (a timeout or abort runs no Catch, so nobody would hear of it otherwise).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface RunbookStateMachineProps {
  readonly stateMachineName: string;
  readonly comment: string;
  readonly definition: (scope: Construct) => sfn.IChainable;
  readonly timeout: Duration;
  /** Where the alarms notify. */
  readonly alarmTopic: sns.ITopic;
}

export class RunbookStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RunbookStateMachineProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: props.comment,
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition(this)),
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    const alarmOn = (metric: cloudwatch.Metric, what: string) => {
      const alarm = new cloudwatch.Alarm(this, `${what}Alarm`, {
        alarmName: `${props.stateMachineName}-${what.toLowerCase()}`,
        alarmDescription: `A ${props.stateMachineName} execution ${what.toLowerCase()}.`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      return alarm;
    };
    const period = Duration.minutes(1);
    this.alarms = [
      alarmOn(this.stateMachine.metricFailed({ period, statistic: 'Sum' }), 'Failed'),
      alarmOn(this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }), 'TimedOut'),
      alarmOn(this.stateMachine.metricAborted({ period, statistic: 'Sum' }), 'Aborted'),
    ];
  }
}
