// The stack: the run-state table, the notifications topic, the approval service, and a state machine for every procedure
// of the registry, with the workers its definition uses. Everything environment-specific comes from
// the config; nothing here names a procedure.
import {
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import pkg from '../package.json' with { type: 'json' };
import {
  type Deps,
  machinePrefixOf,
  type ProcedureSpec,
  stateMachineName,
} from '../statemachines/procedure.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { handleAbandonedRun } from '../tasks/handle-abandoned-run.ts';
import type { Worker } from '../tasks/worker.ts';
import { type Config, catalogueOf, ciRoleNameOf } from './config.ts';
import { ApprovalService } from './constructs/approval-service.ts';
import { CiRole } from './constructs/ci-role.ts';
import { DatabaseExports, exportPrefixesOf } from './constructs/database-exports.ts';
import { Notifications } from './constructs/notifications.ts';
import { archiveBucket, RunArchive } from './constructs/run-archive.ts';
import { RunbookStateMachine } from './constructs/runbook-state-machine.ts';
import { Workers } from './constructs/workers.ts';

export interface RunbookStackProps extends StackProps {
  readonly config: Config;
}

/** The construct id of a procedure's machine: production-deployment -> ProductionDeployment. */
const constructId = (procedure: ProcedureSpec) =>
  procedure.name.replace(/(^|-)([a-z])/g, (_m, _dash, letter: string) => letter.toUpperCase());

export class RunbookStack extends Stack {
  /** Every procedure's state machine, by procedure name. */
  readonly machines = new Map<string, RunbookStateMachine>();
  /** Every worker function, and which procedures' machines run nestedIn in which. */
  readonly workers: Workers;
  private readonly nestedIn = new Map<string, Set<string>>();
  /** The workers each procedure's machine invokes. */
  private readonly invokes = new Map<string, Set<Worker>>();

  constructor(scope: Construct, id: string, props: RunbookStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new dynamodb.TableV2(this, 'RunState', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encrypted with the account's AWS managed key, so each use of the key is in CloudTrail.
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const notifications = new Notifications(this, 'Notifications', config.notifications);
    const archive = archiveBucket(this, config.archive);
    const prefixes = exportPrefixesOf(config);
    const exports = prefixes.length > 0 ? new DatabaseExports(this, 'DatabaseExports', { prefixes }) : null;
    const workers = new Workers(this, 'Workers', {
      config,
      table,
      topic: notifications.topic,
      archive,
      ...(exports && { exports }),
    });
    this.workers = workers;
    // Where people decide the approval requests the machines' gates record, and are reminded of them.
    new ApprovalService(this, 'Approvals', { workers, table, topic: notifications.topic });

    const catalogue = catalogueOf(config);
    // A machine is built when first needed: in registry order, or earlier when another runs it nestedIn.
    const machine = (procedure: ProcedureSpec): RunbookStateMachine => {
      const built = this.machines.get(procedure.name);
      if (built) return built;
      // Each machine's timeout is also how long its lock outlives a run that dies without its Catch.
      const { runSeconds } = procedure.budget({ timing: config.polling, catalogue });
      const invoked = new Set<Worker>();
      this.invokes.set(procedure.name, invoked);
      const deps: Deps = {
        procedure: procedure.name,
        worker: (worker) => {
          invoked.add(worker);
          return workers.fn(worker);
        },
        stateMachine: (child) => {
          if (!procedure.runs?.includes(child))
            throw new Error(`${procedure.name} runs ${child.name} nested without listing it in its runs`);
          this.nestedIn.set(
            procedure.name,
            new Set([...(this.nestedIn.get(procedure.name) ?? []), child.name]),
          );
          return machine(child).stateMachine;
        },
        table: table.tableName,
        topicArn: notifications.topic.topicArn,
        databaseExports: exports && {
          bucket: exports.bucket.bucketName,
          roleArn: exports.role.roleArn,
          kmsKeyArn: exports.key.keyArn,
        },
        catalogue,
        timing: config.polling,
        maxRunSeconds: runSeconds,
        parents: PROCEDURES.filter((p) => p.runs?.includes(procedure)).map((p) =>
          stateMachineName(p, config.stackName),
        ),
      };
      const made = new RunbookStateMachine(this, constructId(procedure), {
        stateMachineName: stateMachineName(procedure, config.stackName),
        // Which release of this project wrote the definition, in the definition (the audit shows it).
        comment: `${procedure.summary} (runbook-as-code ${pkg.version})`,
        definition: (scope) => procedure.definition(scope, deps),
        timeout: Duration.seconds(runSeconds),
        alarmTopic: notifications.topic,
      });
      this.machines.set(procedure.name, made);
      return made;
    };
    for (const procedure of PROCEDURES) machine(procedure);
    if (config.ci)
      new CiRole(this, 'Ci', {
        ci: { ...config.ci, roleName: ciRoleNameOf(config) },
        machines: PROCEDURES.map((p) => ({
          machine: machine(p).stateMachine,
          name: stateMachineName(p, config.stackName),
        })),
      });

    // A run that times out or is stopped runs no Catch, and a failure no Catch could handle may leave
    // its lock: EventBridge hands such runs to a worker that releases the lock and pages (the alarms
    // alone reach no one on the page list). What could not be handled is kept and seen: an event
    // EventBridge could not deliver, and an invocation that still failed after Lambda's retries, land
    // in one encrypted queue, which alarms.
    const unhandled = new sqs.Queue(this, 'AbandonedRunsUnhandled', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const abandonedRunHandler = workers.fn(handleAbandonedRun);
    abandonedRunHandler.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(unhandled),
      retryAttempts: 2,
    });
    new cloudwatch.Alarm(this, 'AbandonedRunNotHandled', {
      alarmDescription:
        'A run that timed out, was stopped or failed was not handled (its lock may still be held and nobody was paged), or a schedule could not start its run. The event is in the AbandonedRunsUnhandled queue.',
      metric: unhandled.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cloudwatchActions.SnsAction(notifications.topic));
    Validations.of(unhandled).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'It is the dead-letter queue itself: of the abandoned-run rule and of its function.',
    });
    // The runs procedures start by themselves (the daily health check, resource usage every few hours): an EventBridge Scheduler
    // schedule each, in its time zone. A start it could not make after its retries lands in the
    // unhandled queue, which alarms.
    for (const procedure of PROCEDURES)
      for (const run of procedure.schedules?.(catalogue) ?? []) {
        const id = `${constructId(procedure)}Schedule${run.name.replace(/(^|-)(.)/g, (_, _d, c: string) => c.toUpperCase())}`;
        new scheduler.Schedule(this, id, {
          description: `Starts ${stateMachineName(procedure, config.stackName)} for ${run.name}: ${run.expression} ${run.timeZone}.`,
          schedule: scheduler.ScheduleExpression.expression(run.expression, TimeZone.of(run.timeZone)),
          target: new schedulerTargets.StepFunctionsStartExecution(machine(procedure).stateMachine, {
            input: scheduler.ScheduleTargetInput.fromObject(run.input),
            deadLetterQueue: unhandled,
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
          }),
        });
      }

    new events.Rule(this, 'AbandonedRuns', {
      description:
        'Releases the lock a runbook run still held when it TIMED_OUT, was ABORTED or FAILED, and pages.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['TIMED_OUT', 'ABORTED', 'FAILED'],
          stateMachineArn: PROCEDURES.map((p) => machine(p).stateMachine.stateMachineArn),
        },
      },
      targets: [
        new eventTargets.LambdaFunction(abandonedRunHandler, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: unhandled,
          event: events.RuleTargetInput.fromObject({
            table: table.tableName,
            topicArn: notifications.topic.topicArn,
            executionArn: events.EventField.fromPath('$.detail.executionArn'),
            stateMachineArn: events.EventField.fromPath('$.detail.stateMachineArn'),
            status: events.EventField.fromPath('$.detail.status'),
            machinePrefix: machinePrefixOf(config.stackName),
          }),
        }),
      ],
    });

    new RunArchive(this, 'Archive', {
      bucket: archive,
      workers,
      stateMachineArns: PROCEDURES.map((p) => machine(p).stateMachine.stateMachineArn),
      machinePrefix: machinePrefixOf(config.stackName),
      topic: notifications.topic,
      sweepDays: config.archive.sweepDays,
    });

    this.acknowledgeFindings(config);
  }

  /** The cdk-nag findings of the state machines' roles, each on the machine it concerns, with the reason a reviewer reads. */
  private acknowledgeFindings(config: Config): void {
    const ack = (scope: Construct, finding: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
    for (const [name, machine] of this.machines) {
      ack(
        machine,
        'IAM5[Resource::*]',
        'X-Ray tracing of the state machine needs xray:PutTraceSegments and friends, which have no resource-level permissions.',
      );
      for (const worker of this.invokes.get(name) ?? []) {
        const fn = this.workers.fn(worker);
        const logicalId = this.getLogicalId(fn.node.defaultChild as CfnElement);
        ack(
          machine,
          `IAM5[Resource::<${logicalId}.Arn>:*]`,
          'CDK grants invoking the worker function and its versions (the :* suffix), nothing else.',
        );
      }
      for (const child of this.nestedIn.get(name) ?? []) {
        const childId = this.getLogicalId(
          this.machines.get(child)?.stateMachine.node.defaultChild as CfnElement,
        );
        ack(
          machine,
          `IAM5[Resource::arn:<AWS::Partition>:states:${config.region}:${config.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${childId}"}]}]}*]`,
          `Running ${child} as a nestedIn execution (.sync) needs DescribeExecution/StopExecution on executions of that state machine only.`,
        );
      }
    }
  }
}
