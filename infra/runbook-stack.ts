// The stack: the run-state table, the notifications topic, the workers, and the two procedures'
// state machines wired to them. Everything environment-specific comes from the config.
import { type CfnElement, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { Deps } from '../statemachines/deps.ts';
import {
  PRODUCTION_DEPLOYMENT,
  productionDeploymentDefinition,
} from '../statemachines/production-deployment.ts';
import { ROLLBACK, rollbackDefinition } from '../statemachines/rollback.ts';
import { deploymentBudgetSeconds, rollbackTimeoutSeconds } from '../statemachines/timing.ts';
import { workers as registry, type WorkerName } from '../tasks/index.ts';
import { type Config, catalogueOf } from './config.ts';
import { Notifications } from './constructs/notifications.ts';
import { RunbookStateMachine } from './constructs/runbook-state-machine.ts';
import { Workers } from './constructs/workers.ts';

export interface RunbookStackProps extends StackProps {
  readonly config: Config;
}

/** Longest a deployment may run, for this config: the longest approval wait and bake of any environment. */
export function maxDeploymentSeconds(config: Config): number {
  const policies = Object.values(config.environments).map((e) => e.policy);
  return deploymentBudgetSeconds(config.polling, {
    approvalSeconds: Math.max(...policies.map((p) => p.approvalTimeoutMinutes * 60)),
    bakeSeconds: Math.max(...policies.map((p) => p.bakeMinutes * 60)),
  });
}

export class RunbookStack extends Stack {
  readonly deployment: RunbookStateMachine;
  readonly rollback: RunbookStateMachine;

  constructor(scope: Construct, id: string, props: RunbookStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new dynamodb.TableV2(this, 'RunState', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const notifications = new Notifications(this, 'Notifications', config.notifications);
    const workers = new Workers(this, 'Workers', { config, table, topic: notifications.topic });

    const shared: Omit<Deps, 'maxRunSeconds'> = {
      worker: (name) => workers.fn(name),
      table: table.tableName,
      topicArn: notifications.topic.topicArn,
      catalogue: catalogueOf(config),
      timing: config.polling,
    };
    // Each machine's timeout is also how long its lock outlives a run that dies without its Catch.
    const rollbackSeconds = rollbackTimeoutSeconds(config.polling);
    const deploymentSeconds = maxDeploymentSeconds(config);

    this.rollback = new RunbookStateMachine(this, 'Rollback', {
      stateMachineName: `runbook-${ROLLBACK}`,
      comment:
        'Runbook "Rollback Procedure": restore a service to a given or its last known-good task definition.',
      definition: (scope) => rollbackDefinition(scope, { ...shared, maxRunSeconds: rollbackSeconds }),
      timeout: Duration.seconds(rollbackSeconds),
      alarmTopic: notifications.topic,
    });
    this.deployment = new RunbookStateMachine(this, 'ProductionDeployment', {
      stateMachineName: `runbook-${PRODUCTION_DEPLOYMENT}`,
      comment:
        'Runbook "Production Deployment": approval, snapshot, new revision, healthy targets, bake; rolls back on failure.',
      definition: (scope) =>
        productionDeploymentDefinition(
          scope,
          { ...shared, maxRunSeconds: deploymentSeconds },
          this.rollback.stateMachine,
        ),
      timeout: Duration.seconds(deploymentSeconds),
      alarmTopic: notifications.topic,
    });

    // A run that times out or is stopped runs no Catch, and a failure no Catch could handle may leave
    // its lock: EventBridge hands such runs to a worker that releases the lock and pages (the alarms
    // alone reach no one on the page list).
    new events.Rule(this, 'AbandonedRuns', {
      description:
        'Releases the lock a runbook run still held when it TIMED_OUT, was ABORTED or FAILED, and pages.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['TIMED_OUT', 'ABORTED', 'FAILED'],
          stateMachineArn: [
            this.deployment.stateMachine.stateMachineArn,
            this.rollback.stateMachine.stateMachineArn,
          ],
        },
      },
      targets: [
        new eventTargets.LambdaFunction(workers.fn('handle-abandoned-run'), {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          event: events.RuleTargetInput.fromObject({
            table: table.tableName,
            topicArn: notifications.topic.topicArn,
            executionArn: events.EventField.fromPath('$.detail.executionArn'),
            stateMachineArn: events.EventField.fromPath('$.detail.stateMachineArn'),
            status: events.EventField.fromPath('$.detail.status'),
          }),
        }),
      ],
    });

    acknowledgeFindings(this, workers, config);
  }
}

/** The cdk-nag findings this stack accepts, each on the construct it concerns, with the reason a reviewer reads. */
function acknowledgeFindings(stack: RunbookStack, workers: Workers, config: Config): void {
  const ack = (scope: Construct, finding: string, reason: string) =>
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
  ack(
    workers,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The managed basic execution role only lets each worker write its own CloudWatch Logs.',
  );
  ack(
    workers,
    'IAM5[Resource::*]',
    'Only for actions without resource-level permissions: X-Ray trace segments, elasticloadbalancing:DescribeTargetHealth, ecs:DescribeTaskDefinition/RegisterTaskDefinition, and ecs:ListTasks (limited to the configured clusters by the ecs:cluster condition).',
  );
  ack(
    workers,
    'IAM5[Action::kms:GenerateDataKey*]',
    'Publishing to the KMS-encrypted notifications topic needs GenerateDataKey* on its key (granted by grantPublish, on that key only).',
  );
  ack(
    workers,
    `IAM5[Resource::arn:<AWS::Partition>:rds:${config.region}:${config.account}:snapshot:pre-deploy-*]`,
    'The snapshot workers create and read only snapshots named pre-deploy-*; the name carries the run, so it cannot be known at deploy time.',
  );
  ack(
    workers,
    `IAM5[Resource::arn:<AWS::Partition>:ecs:${config.region}:${config.account}:task-definition/*]`,
    'ecs:TagResource on task definitions only while registering them (condition ecs:CreateAction = RegisterTaskDefinition), so the new revision keeps its tags.',
  );
  const clusters = new Set(
    Object.values(config.environments).flatMap((e) => Object.values(e.services).map((s) => s.cluster)),
  );
  for (const cluster of clusters) {
    ack(
      workers,
      `IAM5[Resource::arn:<AWS::Partition>:ecs:${config.region}:${config.account}:task/${cluster}/*]`,
      'ecs:DescribeTasks on the tasks of a configured cluster; task ids are not known before the tasks start.',
    );
  }
  for (const machine of [stack.deployment, stack.rollback]) {
    ack(
      machine,
      'IAM5[Resource::*]',
      'X-Ray tracing of the state machine needs xray:PutTraceSegments and friends, which have no resource-level permissions.',
    );
    for (const name of Object.keys(registry) as WorkerName[]) {
      const fn = workers.fn(name);
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
      ack(
        machine,
        `IAM5[Resource::<${logicalId}.Arn>:*]`,
        'CDK grants invoking the worker function and its versions (the :* suffix), nothing else.',
      );
    }
  }
  ack(
    stack.deployment,
    `IAM5[Resource::arn:<AWS::Partition>:states:${config.region}:${config.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(stack.rollback.stateMachine.node.defaultChild as CfnElement)}"}]}]}*]`,
    'Running the rollback as a nested execution (.sync) needs DescribeExecution/StopExecution on executions of the rollback state machine only.',
  );
}
