// The Lambda task workers: one function per worker in tasks/, bundled locally with esbuild (no
// Docker), each with only the permissions its step needs.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type WorkerName, workers } from '../../tasks/index.ts';
import type { Config } from '../config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkersProps {
  readonly config: Config;
  /** Locks, approvals and known-good records. */
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
}

export class Workers extends Construct {
  private readonly functions = new Map<WorkerName, nodejs.NodejsFunction>();

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    for (const name of Object.keys(workers) as WorkerName[]) {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const fn = new nodejs.NodejsFunction(this, name, {
        description: `runbook worker: ${name}`,
        entry: `${ROOT}tasks/${name}.ts`,
        handler: 'handler',
        projectRoot: ROOT,
        depsLockFilePath: `${ROOT}package-lock.json`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        // Below the Task's 30 s timeout, so the function's own error reaches the state machine first.
        timeout: Duration.seconds(25),
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        bundling: { minify: false, sourceMap: true, target: 'node24' },
      });
      this.functions.set(name, fn);
    }
    this.grant(props);
  }

  fn(name: WorkerName): lambda.IFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no worker function named ${name}`);
    return fn;
  }

  /** Least privilege: each worker gets the actions its AWS calls need, on the configured resources. */
  private grant({ config, table, topic }: WorkersProps): void {
    const { account, region } = Stack.of(this);
    const partition = Stack.of(this).partition;
    const services = Object.values(config.environments).flatMap((env) => Object.values(env.services));
    const arn = (service: string, resource: string) =>
      `arn:${partition}:${service}:${region}:${account}:${resource}`;
    const serviceArns = [
      ...new Set(
        services.flatMap((s) => [
          arn('ecs', `service/${s.cluster}/${s.service}`),
          ...(s.maintenancePage
            ? [arn('ecs', `service/${s.maintenancePage.cluster ?? s.cluster}/${s.maintenancePage.service}`)]
            : []),
        ]),
      ),
    ];
    const taskArns = [...new Set(services.map((s) => arn('ecs', `task/${s.cluster}/*`)))];
    const clusterArns = [...new Set(services.map((s) => arn('ecs', `cluster/${s.cluster}`)))];
    const alarmArns = [
      ...new Set(services.flatMap((s) => s.alarms.map((a) => arn('cloudwatch', `alarm:${a}`)))),
    ];
    const databases = [...new Set(services.flatMap((s) => (s.database ? [s.database] : [])))];
    const preDeploySnapshots = arn('rds', 'snapshot:pre-deploy-*');
    const taskRoles = [...new Set(services.flatMap((s) => s.taskRoleArns))];

    const allow = (
      name: WorkerName,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) =>
      this.fn(name).addToRolePolicy(
        new iam.PolicyStatement({ actions, resources, ...(conditions && { conditions }) }),
      );

    for (const name of ['acquire-lock', 'record-known-good', 'request-approval'] as const)
      table.grant(this.fn(name), 'dynamodb:PutItem');
    table.grant(this.fn('release-lock'), 'dynamodb:DeleteItem');
    table.grant(this.fn('find-known-good'), 'dynamodb:GetItem');
    // A deployment hands its lock over to its rollback with a token; the rollback joins by consuming it.
    table.grant(this.fn('hand-over-lock'), 'dynamodb:UpdateItem');
    table.grant(this.fn('acquire-lock'), 'dynamodb:UpdateItem');
    table.grant(this.fn('handle-abandoned-run'), 'dynamodb:Scan', 'dynamodb:DeleteItem');
    topic.grantPublish(this.fn('handle-abandoned-run'));
    topic.grantPublish(this.fn('notify'));
    topic.grantPublish(this.fn('request-approval'));

    for (const name of [
      'capture-baseline',
      'check-release',
      'check-deployment',
      'check-target-health',
      'find-known-good',
    ] as const) {
      allow(name, ['ecs:DescribeServices'], serviceArns);
    }
    for (const name of ['capture-baseline', 'check-target-health'] as const) {
      // DescribeTargetHealth supports no resource-level permissions.
      allow(name, ['elasticloadbalancing:DescribeTargetHealth'], ['*']);
    }
    if (alarmArns.length > 0) {
      allow('capture-baseline', ['cloudwatch:DescribeAlarms'], alarmArns);
      allow('check-alarms', ['cloudwatch:DescribeAlarms'], alarmArns);
    }
    allow('check-target-health', ['ecs:ListTasks'], ['*'], { ArnEquals: { 'ecs:cluster': clusterArns } });
    allow('check-target-health', ['ecs:DescribeTasks'], taskArns);

    if (databases.length > 0) {
      allow(
        'create-snapshot',
        ['rds:CreateDBSnapshot'],
        [...databases.map((d) => arn('rds', `db:${d}`)), preDeploySnapshots],
      );
      allow('create-snapshot', ['rds:AddTagsToResource'], [preDeploySnapshots]);
      allow('create-snapshot', ['rds:DescribeDBSnapshots'], [preDeploySnapshots]);
      allow('check-snapshot', ['rds:DescribeDBSnapshots'], [preDeploySnapshots]);
    }

    // Task definition actions support no resource-level permissions for Describe/Register.
    allow('check-release', ['ecs:DescribeTaskDefinition'], ['*']);
    allow('register-task-definition', ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']);
    allow('register-task-definition', ['ecs:TagResource'], [arn('ecs', 'task-definition/*')], {
      StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
    });
    if (taskRoles.length > 0) {
      allow('register-task-definition', ['iam:PassRole'], taskRoles, {
        StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      });
    }
    allow('update-service', ['ecs:UpdateService'], serviceArns);
  }
}
