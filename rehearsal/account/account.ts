// The simulated AWS account: ECS services and target groups, RDS, CloudWatch alarms, the runbook's
// own table and topic, all on one simulated clock. It answers the same SDK commands as AWS with the
// same response shapes, through real SDK clients (see clients.ts), and records every change made.
import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config.ts';
import { knownGoodKey, serviceLockKey } from '../../tasks/run-state.ts';
import type { Scenario } from '../scenarios.ts';
import { SimulatedClock } from './clock.ts';
import { SimulatedCloudWatch } from './cloudwatch.ts';
import { SimulatedDynamoDb } from './dynamodb.ts';
import { SimulatedEcs } from './ecs.ts';
import { awsError } from './errors.ts';
import { SimulatedRds } from './rds.ts';

export type AwsService = 'ecs' | 'elb' | 'rds' | 'cloudwatch' | 'sns' | 'dynamodb';

/** A mutating call made to the environment (ECS, RDS, ...); the runbook's own table and topic are bookkeeping. */
export interface Change {
  readonly service: AwsService;
  readonly action: string;
  readonly target: string;
  readonly detail: string;
  /** Seconds since the rehearsal started. */
  readonly at: number;
}

export interface Notification {
  readonly subject: string;
  readonly severity: string;
  readonly event: string;
  readonly message: string;
  readonly at: number;
}

export interface AccountOptions {
  readonly config: Config;
  readonly scenario: Scenario;
  /** The runbook's run-state table, as the synthesized definitions name it. */
  readonly table: string;
  readonly start?: Date;
}

const BASELINE_REVISION = 41;

export class SimulatedAccount {
  readonly clock: SimulatedClock;
  readonly ecs: SimulatedEcs;
  readonly rds: SimulatedRds;
  readonly cloudwatch: SimulatedCloudWatch;
  readonly dynamodb = new SimulatedDynamoDb();
  readonly changes: Change[] = [];
  readonly notifications: Notification[] = [];
  private readonly scenario: Scenario;

  constructor(options: AccountOptions) {
    const { config, scenario } = options;
    this.scenario = scenario;
    this.clock = new SimulatedClock(options.start ?? new Date(Math.floor(Date.now() / 1000) * 1000));
    const now = () => this.clock.now().getTime();
    this.ecs = new SimulatedEcs(scenario, config.region, config.account, now);
    this.rds = new SimulatedRds(scenario, config.region, config.account, now);
    this.cloudwatch = new SimulatedCloudWatch(scenario, config.region, config.account, this.ecs);
    this.clock.onTick((t) => {
      this.ecs.tick(t);
      this.rds.tick(t);
      this.cloudwatch.tick(t);
    });
    this.seed(config, options.table);
  }

  /** The environment as the config describes it, running its baseline release, healthy. */
  private seed(config: Config, table: string): void {
    for (const [envName, env] of Object.entries(config.environments)) {
      for (const [key, svc] of Object.entries(env.services)) {
        // Two known releases: the one before (a rollback's usual target) and the one running now.
        const registry = svc.allowedRegistries[0]?.replace(/\/$/, '');
        const [taskRole, executionRole] = svc.taskRoleArns;
        const release = (revision: number) =>
          this.ecs.addTaskDefinition(
            `${envName}-${key}`,
            revision,
            [
              {
                name: svc.containerName,
                image: `${registry}/${key}@sha256:${createHash('sha256').update(`${envName}/${key}:${revision}`).digest('hex')}`,
                essential: true,
                portMappings: [{ containerPort: 8080 }],
              },
              {
                name: 'log-router',
                image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
                essential: false,
              },
            ],
            { ...(taskRole && { task: taskRole }), ...(executionRole && { execution: executionRole }) },
          );
        const previous = release(BASELINE_REVISION - 1);
        const baseline = release(BASELINE_REVISION);
        const desired = Math.min(svc.desiredCount.max, Math.max(svc.desiredCount.min, 3));
        this.ecs.addService(svc.cluster, svc.service, baseline, desired, svc.targetGroupArn);
        if (svc.maintenancePage) {
          const page = this.ecs.addTaskDefinition(
            `${envName}-maintenance-page`,
            3,
            [{ name: 'nginx', image: 'public.ecr.aws/nginx/nginx:stable', essential: true }],
            {},
          );
          this.ecs.addService(
            svc.maintenancePage.cluster ?? svc.cluster,
            svc.maintenancePage.service,
            page,
            0,
            null,
          );
        }
        if (svc.database) this.rds.addInstance(svc.database);
        svc.alarms.forEach((alarm, i) => {
          this.cloudwatch.addAlarm(alarm, `${svc.cluster}/${svc.service}`, i === 0);
        });
        const lockKey = serviceLockKey(svc.cluster, svc.service);
        this.dynamodb.putItem({
          TableName: table,
          Item: {
            pk: { S: knownGoodKey(lockKey) },
            taskDefinition: { S: baseline },
            previous: { S: previous },
            desiredCount: { N: String(desired) },
            executionId: { S: 'seeded-by-rehearsal' },
            recordedAt: { S: this.clock.iso() },
          },
        });
        if (this.scenario.lockHeld) {
          const since = new Date(this.clock.now().getTime() - 12 * 60_000).toISOString();
          this.dynamodb.putItem({
            TableName: table,
            Item: {
              pk: { S: lockKey },
              owner: {
                S: `arn:aws:states:${config.region}:${config.account}:execution:runbook-production-deployment:hotfix-2291`,
              },
              procedure: { S: 'production-deployment' },
              acquiredAt: { S: since },
              expiresAt: { N: String(Math.floor(this.clock.now().getTime() / 1000) + 3 * 3600) },
            },
          });
        }
      }
    }
  }

  /** Answers one SDK command. Called by the simulated clients' middleware. */
  handle(service: AwsService, command: string, input: Record<string, unknown>): unknown {
    const api = `${service}:${command}`;
    if (this.scenario.throttled?.(api, this.clock.elapsedSeconds()))
      throw awsError('ThrottlingException', 'Rate exceeded');
    const i = input as never;
    switch (api) {
      case 'ecs:DescribeServices':
        return this.ecs.describeServices(i);
      case 'ecs:ListTasks':
        return this.ecs.listTasks(i);
      case 'ecs:DescribeTasks':
        return this.ecs.describeTasks(i);
      case 'ecs:DescribeTaskDefinition':
        return this.ecs.describeTaskDefinition(i);
      case 'ecs:RegisterTaskDefinition': {
        const out = this.ecs.registerTaskDefinition(i);
        this.change(
          service,
          command,
          String(input.family),
          `revision ${out.taskDefinition.revision}: ${images(input)}`,
        );
        return out;
      }
      case 'ecs:UpdateService': {
        const out = this.ecs.updateService(i);
        const parts = [
          input.taskDefinition && `taskDefinition ${short(String(input.taskDefinition))}`,
          input.desiredCount !== undefined && `desiredCount ${input.desiredCount}`,
        ];
        this.change(service, command, String(input.service), parts.filter(Boolean).join(', '));
        return out;
      }
      case 'elb:DescribeTargetHealth':
        return this.ecs.describeTargetHealth(i);
      case 'rds:CreateDBSnapshot': {
        const out = this.rds.createDBSnapshot(i);
        this.change(
          service,
          command,
          String(input.DBInstanceIdentifier),
          `snapshot ${out.DBSnapshot.DBSnapshotIdentifier}`,
        );
        return out;
      }
      case 'rds:DescribeDBSnapshots':
        return this.rds.describeDBSnapshots(i);
      case 'cloudwatch:DescribeAlarms':
        return this.cloudwatch.describeAlarms(i);
      case 'sns:Publish':
        return this.publish(input);
      case 'dynamodb:PutItem':
        return this.dynamodb.putItem(i);
      case 'dynamodb:DeleteItem':
        return this.dynamodb.deleteItem(i);
      case 'dynamodb:UpdateItem':
        return this.dynamodb.updateItem(i);
      case 'dynamodb:GetItem':
        return this.dynamodb.getItem(i);
      default:
        throw awsError('UnknownOperationException', `the simulated account does not implement ${api}`);
    }
  }

  private change(service: AwsService, action: string, target: string, detail: string): void {
    this.changes.push({ service, action, target, detail, at: this.clock.elapsedSeconds() });
  }

  private publish(input: Record<string, unknown>) {
    const attributes = (input.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>;
    this.notifications.push({
      subject: String(input.Subject ?? ''),
      severity: attributes.severity?.StringValue ?? 'info',
      event: attributes.event?.StringValue ?? 'unknown',
      message: String(input.Message ?? ''),
      at: this.clock.elapsedSeconds(),
    });
    return { MessageId: `rehearsal-${this.notifications.length}` };
  }

  /** The account's final state, as `runbook rehearse --json` reports it. */
  state() {
    const services = [...this.ecs.services.values()].map((s) => {
      const described = this.ecs.describeServices({ cluster: s.cluster, services: [s.name] }).services[0];
      return {
        cluster: s.cluster,
        service: s.name,
        taskDefinition: described?.taskDefinition ?? null,
        desiredCount: s.desiredCount,
        runningCount: described?.runningCount ?? 0,
        rolloutState: described?.deployments[0]?.rolloutState ?? null,
        images: this.ecs
          .resolveTaskDefinition(described?.taskDefinition ?? '')
          .containerDefinitions.map((c) => c.image ?? ''),
      };
    });
    const targetGroups = [...this.ecs.targetGroups.entries()].map(([arn, targets]) => ({
      targetGroupArn: arn,
      targets: [...targets.values()].map((t) => ({
        id: t.id,
        state: t.state,
        ...(t.reason && { reason: t.reason }),
      })),
    }));
    const dbSnapshots = [...this.rds.snapshots.values()].map((s) => ({
      id: s.id,
      dbInstance: s.instance,
      status: s.status,
    }));
    const items = [...this.dynamodb.tables.values()].flatMap((t) => [...t.values()]);
    const locks = items
      .filter((item) => item.pk?.S?.startsWith('ecs:'))
      .map((item) => ({ key: item.pk?.S, owner: item.owner?.S, procedure: item.procedure?.S }));
    const approvals = items
      .filter((item) => item.pk?.S?.startsWith('approval#'))
      .map((item) => ({
        id: item.pk?.S?.slice('approval#'.length),
        service: item.service?.S,
        status: item.status?.S,
        expiresAt: item.expiresAt?.S,
      }));
    const knownGood = items
      .filter((item) => item.pk?.S?.startsWith('known-good#'))
      .map((item) => ({
        key: item.pk?.S?.slice('known-good#'.length),
        taskDefinition: item.taskDefinition?.S,
        previous: item.previous?.S ?? null,
      }));
    const alarms = [...this.cloudwatch.alarms.values()].map((a) => ({ name: a.name, state: a.state }));
    return {
      services,
      targetGroups,
      dbSnapshots,
      alarms,
      locks,
      knownGood,
      approvals,
      notifications: this.notifications.map(({ subject, severity, event }) => ({ subject, severity, event })),
    };
  }
}

export type AccountState = ReturnType<SimulatedAccount['state']>;

const short = (arn: string) => arn.split('/').pop() ?? arn;
const images = (input: Record<string, unknown>) =>
  ((input.containerDefinitions ?? []) as { name?: string; image?: string }[])
    .map((c) => `${c.name}=${c.image}`)
    .join(', ');
