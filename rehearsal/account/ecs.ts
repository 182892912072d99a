// Simulated ECS services, seeded from the config: each runs its baseline release, with the release
// before it registered too. Deployments move through their real states over simulated time:
// IN_PROGRESS -> COMPLETED, or FAILED when the circuit breaker trips (and, if the service has
// circuit-breaker rollback, ECS starts its own rollback deployment).
//
// A rolling update as the ECS Developer Guide describes it, read pessimistically where it is vague:
// - A new task counts as healthy only once its target passes the load balancer's health check (a
//   service without a load balancer: 40 s after it is RUNNING). Old tasks are stopped only as far as
//   minimumHealthyPercent allows counting the healthy ones, and no more tasks run or start than
//   maximumPercent allows (a draining task still runs, and counts).
// - A stopped task with a target first drains for the target group's deregistration delay, still
//   RUNNING (desiredStatus STOPPED); the rollout is COMPLETED only when no old task is left.
// - Within the service's health-check grace period (from the task's start) ECS ignores an unhealthy
//   target; after it, ECS stops the task as failed (the circuit breaker counts it) and starts another.
// - The circuit breaker follows the service's own deploymentConfiguration: enabled or not, rollback
//   or not, at ECS's threshold (check-deployment.ts).
// - `ip` target groups register the task's address; `instance` ones the EC2 instance and the task's
//   host port (bridge networking, dynamic host ports), on one of the cluster's container instances.
import { createHash } from 'node:crypto';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { Config } from '../../infra/config.ts';
import { maintenancePageOf } from '../../tasks/catalogue.ts';
import { circuitBreakerThreshold } from '../../tasks/check-deployment.ts';
import type { SimulatedElb, TargetRef } from './elb.ts';
import { awsError } from './errors.ts';
import type { Moments } from './moments.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** How a deployment's tasks behave in the simulated account. */
export interface TaskProfile {
  /** Seconds from launch to RUNNING (or to the crash). */
  readonly startSeconds: number;
  readonly outcome: 'runs' | 'crashes';
  /** The targets' health once the health checks have run. */
  readonly health: 'healthy' | 'unhealthy';
  /** Seconds of health checking from registration to a verdict. */
  readonly healthSeconds: number;
  /** ECS's stopped reason for crashing tasks. */
  readonly stoppedReason?: string;
}

/** Tasks that start in 45 s and pass their health checks 30 s later: every deployment without faults. */
export const HEALTHY_TASKS: TaskProfile = {
  startSeconds: 45,
  outcome: 'runs',
  health: 'healthy',
  healthSeconds: 30,
};

/** How a scenario makes ECS misbehave. */
export interface EcsFaults {
  /**
   * The profile of a deployment's tasks. `isNewRelease`: a task definition registered during the
   * rehearsal (the release being deployed), not one of the known releases the account starts with.
   */
  tasks(ctx: {
    isNewRelease: boolean;
    failedDeployments: number;
    /** Made by a call during the rehearsal (a deployment, a forced one), not one the account starts with. */
    madeDuringRun: boolean;
  }): TaskProfile;
  /** The services' deployment circuit breaker rolls back on its own. */
  readonly rollsBack?: boolean;
  /** The services have no deployment circuit breaker: a rollout whose tasks keep failing never fails. */
  readonly noCircuitBreaker?: boolean;
  /**
   * Someone else deploys the release before to every configured service, this many seconds into
   * the rehearsal (by hand, from another pipeline): the change a run must notice before its own.
   */
  readonly outOfBandDeployAfterSeconds?: number;
  /** The configured services were deleted before the rehearsal (their maintenance pages remain). */
  readonly servicesDeleted?: boolean;
  /** The services' health-check grace period. @default HEALTH_CHECK_GRACE_SECONDS */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * When the rehearsal starts, this many of each configured service's tasks have just stopped (ECS
   * is starting their replacements): the service runs fewer tasks than it wants, with no deployment.
   */
  readonly stoppedAtStart?: { readonly tasks: number; readonly reason: string };
  /**
   * The cluster has room for this many running tasks of each configured service: a task beyond
   * them fails to start for want of memory (ECS tries again, and again), whatever its deployment.
   */
  readonly roomForTasks?: number;
}

export interface SimTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  containerDefinitions: ContainerDefinition[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode: string;
  requiresCompatibilities: string[];
  cpu: string;
  memory: string;
  tags: { key: string; value: string }[];
  /** Every other field it was registered with (volumes, runtimePlatform, ...), returned as given. */
  other: Record<string, unknown>;
}

/** The fields of a task definition ECS sets itself: DescribeTaskDefinition returns them, RegisterTaskDefinition takes none. */
const READ_ONLY = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
];

interface SimDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  failedTasks: number;
  /** Whether its failed tasks reaching the breaker's threshold is recorded. */
  failingRecorded?: boolean;
  /** Whether its first task failed by its health check is recorded. */
  unhealthyRecorded?: boolean;
  /** ECS's own circuit-breaker rollback. */
  isRollback?: boolean;
  createdAt: number;
  profile: TaskProfile;
}

interface SimTask {
  arn: string;
  serviceKey: string;
  deploymentId: string;
  taskDefinitionArn: string;
  ip: string;
  /** Where an `instance`-target service's task runs, and its dynamic host port. */
  placement?: { containerInstanceArn: string; ec2InstanceId: string; hostPort: number };
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  /** When a PENDING task runs (or crashes). */
  readyAt: number;
  /** When it became RUNNING. */
  startedAt?: number;
  /** When a task told to stop actually stops (after its target drained). */
  stopAt?: number;
  /** When it became STOPPED. */
  stoppedAt?: number;
  stoppedReason?: string;
}

interface SimContainerInstance {
  arn: string;
  ec2InstanceId: string;
}

export interface SimService {
  key: string;
  cluster: string;
  name: string;
  arn: string;
  desiredCount: number;
  deployments: SimDeployment[];
  targetGroupArn: string | null;
  targetType: 'ip' | 'instance';
  healthCheckGracePeriodSeconds: number;
  /** The last deployment that completed: where the circuit breaker rolls back to. */
  lastCompleted: { id: string; taskDefinition: string } | null;
  /** As DescribeServices returns it; an UpdateService that names one replaces it whole. */
  deploymentConfiguration: DeploymentConfiguration;
  /** Its service events, oldest first (DescribeServices returns the newest EVENTS_KEPT, newest first). */
  events: { id: string; createdAt: number; message: string }[];
}

/** The parts of ECS's DeploymentConfiguration the simulated service acts on (others are kept as sent). */
export interface DeploymentConfiguration {
  maximumPercent?: number;
  minimumHealthyPercent?: number;
  deploymentCircuitBreaker?: { enable?: boolean; rollback?: boolean };
  [other: string]: unknown;
}

/** The seeded services' health-check grace period (a typical setting; ECS's own default is 0). */
export const HEALTH_CHECK_GRACE_SECONDS = 300;
/** A service without a load balancer counts a task without container health checks after this long RUNNING. */
const NO_HEALTH_CHECK_SECONDS = 40;
/** The container port every seeded release listens on. */
const CONTAINER_PORT = 8080;
/** Container instances each cluster with `instance`-target services has. */
const CONTAINER_INSTANCES = 3;
/** Service events DescribeServices returns (ECS keeps the latest 100). */
const EVENTS_KEPT = 100;
/** The revision each service runs when the rehearsal starts. */
const BASELINE_REVISION = 41;

export class SimulatedEcs implements SimulatedService {
  readonly name = 'ecs';
  readonly taskDefinitions = new Map<string, SimTaskDefinition>();
  readonly services = new Map<string, SimService>();
  readonly tasks = new Map<string, SimTask>();
  /** The same tasks by service, in launch order: each tick reads only its own service's. */
  private readonly tasksOf = new Map<string, SimTask[]>();
  /** Task definitions registered during the rehearsal: the releases being deployed. */
  readonly newReleases = new Set<string>();
  /** Deployments the circuit breaker failed so far (the rollback-fails scenario keys on it). */
  failedDeployments = 0;
  private nextIp = 10;
  private eventCount = 0;
  private nextId = 1;
  /** Whether the account's own services are in place: deployments made from now on are the run's. */
  private seeded = false;
  private nextHostPort = 32768;
  /** The container instances of each cluster that runs `instance`-target services. */
  private readonly containerInstances = new Map<string, SimContainerInstance[]>();

  readonly commands = {
    DescribeServices: this.describeServices.bind(this),
    ListTasks: this.listTasks.bind(this),
    DescribeTasks: this.describeTasks.bind(this),
    DescribeContainerInstances: this.describeContainerInstances.bind(this),
    DescribeTaskDefinition: this.describeTaskDefinition.bind(this),
    RegisterTaskDefinition: this.registerTaskDefinition.bind(this),
    UpdateService: this.updateService.bind(this),
  };

  readonly changes = {
    RegisterTaskDefinition: (
      input: { family?: string; containerDefinitions?: ContainerDefinition[] },
      output: ReturnType<SimulatedEcs['registerTaskDefinition']>,
    ) => ({
      target: String(input.family),
      detail: `revision ${output.taskDefinition.revision}: ${(input.containerDefinitions ?? []).map((c) => `${c.name}=${c.image}`).join(', ')}`,
    }),
    UpdateService: (input: {
      service?: string;
      taskDefinition?: string;
      desiredCount?: number;
      forceNewDeployment?: boolean;
    }) => ({
      target: String(input.service),
      detail: [
        input.taskDefinition && `taskDefinition ${short(input.taskDefinition)}`,
        input.desiredCount !== undefined && `desiredCount ${input.desiredCount}`,
        input.forceNewDeployment && 'a forced new deployment',
      ]
        .filter(Boolean)
        .join(', '),
    }),
  };

  private readonly region: string;
  private readonly account: string;

  /**
   * ECS registers its tasks' addresses with the service's target group and deregisters them as they
   * stop, as the real ECS does through the ELB API: so ECS holds the ELB unit, and ELB knows nothing of ECS.
   */
  constructor(
    config: Config,
    private readonly faults: EcsFaults | undefined,
    private readonly now: () => number,
    private readonly elb: SimulatedElb,
    private readonly moments: Moments,
  ) {
    this.region = config.region;
    this.account = config.account;
    this.startedAt = now();
    this.seed(config);
    this.seeded = true;
    if (faults?.servicesDeleted) for (const key of this.releasesBefore.keys()) this.services.delete(key);
  }

  private readonly startedAt: number;
  /** The configured services and the release before their baseline, for an out-of-band deployment. */
  private readonly releasesBefore = new Map<string, string>();
  private outOfBandDone = false;

  // ---- seeding ----

  /** The services as the config describes them, running their baseline release, healthy. */
  private seed(config: Config): void {
    for (const { environment, key, svc } of configuredServices(config)) {
      // Two known releases: the one before (a rollback's usual target) and the one running now.
      const registry = svc.allowedRegistries[0]?.replace(/\/$/, '');
      const [taskRole, executionRole] = svc.taskRoleArns;
      // An `instance` target group fronts tasks on EC2 with bridge networking and dynamic host ports.
      const bridge = svc.targetType === 'instance';
      const release = (revision: number) =>
        this.addTaskDefinition(
          `${environment}-${key}`,
          revision,
          [
            {
              name: svc.containerName,
              image: `${registry}/${key}@sha256:${createHash('sha256').update(`${environment}/${key}:${revision}`).digest('hex')}`,
              essential: true,
              portMappings: [{ containerPort: CONTAINER_PORT, ...(bridge && { hostPort: 0 }) }],
            },
            {
              name: 'log-router',
              image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
              essential: false,
            },
          ],
          { ...(taskRole && { task: taskRole }), ...(executionRole && { execution: executionRole }) },
          // Fields a hand-picked copy would drop: a new revision must keep them all.
          {
            volumes: [{ name: 'scratch', host: {} }],
            runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
            ephemeralStorage: { sizeInGiB: 30 },
            enableFaultInjection: false,
          },
          bridge ? 'bridge' : 'awsvpc',
        );
      const before = release(BASELINE_REVISION - 1);
      const baseline = release(BASELINE_REVISION);
      const desired = Math.min(svc.desiredCount.max, Math.max(svc.desiredCount.min, 3));
      this.addService(
        svc.cluster,
        svc.service,
        baseline,
        desired,
        { arn: svc.targetGroupArn, type: svc.targetType },
        this.faults?.stoppedAtStart,
      );
      this.releasesBefore.set(`${svc.cluster}/${svc.service}`, before);
      const maintenance = maintenancePageOf(svc);
      if (maintenance) {
        const page = this.addTaskDefinition(
          `${environment}-maintenance-page`,
          3,
          [{ name: 'nginx', image: 'public.ecr.aws/nginx/nginx:stable', essential: true }],
          {},
        );
        this.addService(maintenance.cluster, maintenance.service, page, 0, null);
      }
    }
  }

  private addTaskDefinition(
    family: string,
    revision: number,
    containers: ContainerDefinition[],
    roles: { task?: string; execution?: string },
    other: Record<string, unknown> = {},
    networkMode = 'awsvpc',
  ) {
    const arn = `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
    this.taskDefinitions.set(arn, {
      arn,
      family,
      revision,
      containerDefinitions: containers,
      ...(roles.task && { taskRoleArn: roles.task }),
      ...(roles.execution && { executionRoleArn: roles.execution }),
      networkMode,
      requiresCompatibilities: networkMode === 'awsvpc' ? ['FARGATE'] : ['EC2'],
      cpu: '512',
      memory: '1024',
      tags: [{ key: 'team', value: 'platform' }],
      other,
    });
    return arn;
  }

  private addService(
    cluster: string,
    name: string,
    taskDefinition: string,
    desiredCount: number,
    targetGroup: { arn: string; type: 'ip' | 'instance' } | null,
    stopped?: EcsFaults['stoppedAtStart'],
  ) {
    const key = `${cluster}/${name}`;
    if (this.services.has(key)) return;
    const service: SimService = {
      key,
      cluster,
      name,
      arn: `arn:aws:ecs:${this.region}:${this.account}:service/${cluster}/${name}`,
      desiredCount,
      deployments: [],
      targetGroupArn: targetGroup?.arn ?? null,
      targetType: targetGroup?.type ?? 'ip',
      healthCheckGracePeriodSeconds: this.faults?.healthCheckGracePeriodSeconds ?? HEALTH_CHECK_GRACE_SECONDS,
      lastCompleted: null,
      events: [],
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: {
          enable: this.faults?.noCircuitBreaker !== true,
          rollback: this.faults?.rollsBack === true,
        },
      },
    };
    const deployment = this.newDeployment(service, taskDefinition);
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = 'ECS deployment completed.';
    service.lastCompleted = { id: deployment.id, taskDefinition: deployment.taskDefinition };
    service.deployments.push(deployment);
    this.services.set(key, service);
    this.event(service, 'has reached a steady state.', this.now() - 3600_000);
    for (let i = 0; i < desiredCount; i++) {
      const task = this.launch(service, deployment);
      task.startedAt = this.now() - 3600_000;
      if (i < (stopped?.tasks ?? 0)) {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.stoppedReason = stopped?.reason;
        task.stoppedAt = this.now() - 60_000;
        continue;
      }
      task.lastStatus = 'RUNNING';
      // Long healthy, as a running service's targets are: no reason or description (ELB gives a healthy target none).
      const target = this.register(service, task, 'healthy', 0);
      if (target) Object.assign(target, { state: 'healthy', reason: undefined, description: undefined });
    }
  }

  // ---- time ----

  tick(now: number): void {
    const outOfBand = this.faults?.outOfBandDeployAfterSeconds;
    if (outOfBand !== undefined && !this.outOfBandDone && now - this.startedAt >= outOfBand * 1000) {
      this.outOfBandDone = true;
      for (const [key, before] of this.releasesBefore) {
        const [cluster, service] = key.split('/');
        this.updateService({ cluster, service, taskDefinition: before });
      }
    }
    for (const service of this.services.values()) this.tickService(service, now);
  }

  private tickService(service: SimService, now: number): void {
    const all = this.tasksOf.get(service.key) ?? [];
    const mine = () => all;
    const deploymentOf = (task: SimTask) => service.deployments.find((d) => d.id === task.deploymentId);
    for (const task of mine()) {
      if (task.lastStatus === 'PENDING' && task.readyAt <= now) {
        const deployment = deploymentOf(task);
        const profile = deployment?.profile;
        const room = this.faults?.roomForTasks;
        const full = room !== undefined && all.filter((t) => t.lastStatus === 'RUNNING').length >= room;
        if (task.desiredStatus === 'STOPPED') {
          task.lastStatus = 'STOPPED';
          task.stoppedAt = now;
        } else if (!deployment || !profile || profile.outcome === 'crashes' || full) {
          task.lastStatus = 'STOPPED';
          task.stoppedAt = now;
          task.desiredStatus = 'STOPPED';
          task.stoppedReason = full
            ? 'RESOURCE:MEMORY: no container instance met all requirements'
            : (profile?.stoppedReason ?? 'Task failed to start');
          if (full)
            this.event(
              service,
              'was unable to place a task because no container instance met all of its requirements. Reason: insufficient memory available.',
            );
          if (deployment) deployment.failedTasks++;
        } else {
          task.lastStatus = 'RUNNING';
          task.startedAt = now;
          this.register(service, task, profile.health, profile.healthSeconds);
        }
      } else if (task.lastStatus === 'RUNNING' && task.desiredStatus === 'STOPPED') {
        if ((task.stopAt ?? 0) <= now) Object.assign(task, { lastStatus: 'STOPPED', stoppedAt: now });
      } else if (
        task.lastStatus === 'RUNNING' &&
        service.targetGroupArn &&
        this.elb.stateOf(service.targetGroupArn, this.targetOf(service, task)) === 'unhealthy' &&
        now >= (task.startedAt ?? now) + service.healthCheckGracePeriodSeconds * 1000
      ) {
        // Past the grace period, an unhealthy target fails its task: ECS replaces it, and the
        // circuit breaker counts it. The first such task of a deployment is the moment its targets
        // are definitively unhealthy.
        this.event(
          service,
          `(port ${CONTAINER_PORT}) is unhealthy in (target-group ${service.targetGroupArn}) due to (reason Health checks failed).`,
        );
        this.stop(service, task, `Task failed ELB health checks in (target-group ${service.targetGroupArn})`);
        const deployment = deploymentOf(task);
        if (deployment) {
          deployment.failedTasks++;
          if (!deployment.unhealthyRecorded) {
            deployment.unhealthyRecorded = true;
            this.moments.record({
              kind: 'targets-unhealthy',
              service: service.key,
              taskDefinition: deployment.taskDefinition,
            });
          }
        }
      }
    }

    const primary = service.deployments[0];
    if (!primary) return;
    const truth = { service: service.key, taskDefinition: primary.taskDefinition };
    if (!primary.failingRecorded && primary.failedTasks >= circuitBreakerThreshold(primary.desiredCount)) {
      primary.failingRecorded = true;
      this.moments.record({ kind: 'tasks-failing', ...truth });
    }
    const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
    if (
      breaker?.enable === true &&
      primary.rolloutState === 'IN_PROGRESS' &&
      primary.failedTasks >= circuitBreakerThreshold(primary.desiredCount)
    ) {
      primary.rolloutState = 'FAILED';
      primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
      this.failedDeployments++;
      this.event(service, `(deployment ${primary.id}) deployment failed: tasks failed to start.`);
      // Back to the last deployment that completed (kept even once its tasks are gone), unless the
      // one that failed was that rollback itself: ECS does not roll a rollback back.
      const lastGood = service.lastCompleted;
      const rollsBack = breaker.rollback === true && lastGood !== null && !primary.isRollback;
      this.moments.record({ kind: 'rollout-failed', ...truth, ecsRollsBack: rollsBack });
      if (rollsBack && lastGood) {
        const rollback = this.newDeployment(service, lastGood.taskDefinition);
        rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${lastGood.id}.`;
        rollback.isRollback = true;
        primary.status = 'ACTIVE';
        service.deployments.unshift(rollback);
        return;
      }
    }
    if (primary.rolloutState === 'FAILED') return; // a FAILED deployment launches no new tasks

    const desired = primary.desiredCount;
    const { maximumPercent = 200, minimumHealthyPercent = 100 } = service.deploymentConfiguration;
    const active = (t: SimTask) => t.desiredStatus === 'RUNNING';
    const inPrimary = (t: SimTask) => t.deploymentId === primary.id;

    // Tasks beyond the count (a scale-in): the newest go first.
    const ours = mine().filter((t) => inPrimary(t) && active(t));
    for (const extra of ours.slice(desired).reverse())
      this.stop(service, extra, 'Scaling activity initiated by deployment');

    // New tasks, as far as maximumPercent allows (every task not yet STOPPED counts, draining ones too).
    const ceiling = Math.max(desired, Math.floor((desired * maximumPercent) / 100));
    let running = mine().filter((t) => t.lastStatus !== 'STOPPED').length;
    for (let n = Math.min(ours.length, desired); n < desired && running < ceiling; n++, running++)
      this.launch(service, primary);

    // Old tasks stop as far as minimumHealthyPercent allows: the healthy ones (of any deployment)
    // must stay at or above it. An old task that is not healthy never counts, and goes first.
    const floor = Math.ceil((desired * minimumHealthyPercent) / 100);
    let healthy = mine().filter((t) => active(t) && this.isHealthy(service, t, now)).length;
    const old = mine()
      .filter((t) => !inPrimary(t) && active(t))
      .sort((a, b) => Number(this.isHealthy(service, a, now)) - Number(this.isHealthy(service, b, now)));
    for (const task of old) {
      const counts = this.isHealthy(service, task, now);
      if (counts && healthy - 1 < floor) break;
      this.stop(service, task, 'Scaling activity initiated by deployment');
      if (counts) healthy--;
    }

    // Done when the new tasks are all healthy and no old task is left running (drained and stopped).
    const left = mine().some((t) => !inPrimary(t) && t.lastStatus !== 'STOPPED');
    const ready = mine().filter((t) => inPrimary(t) && active(t) && this.isHealthy(service, t, now)).length;
    if (!left) service.deployments = [primary];
    if (!left && ready >= desired && primary.rolloutState === 'IN_PROGRESS') {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      service.lastCompleted = { id: primary.id, taskDefinition: primary.taskDefinition };
      this.moments.record({ kind: 'rollout-completed', ...truth });
      this.event(service, `(deployment ${primary.id}) deployment completed.`);
      this.event(service, 'has reached a steady state.');
    }
  }

  /** Whether ECS counts the task as healthy: its target passes the health check (no load balancer: 40 s RUNNING). */
  private isHealthy(service: SimService, task: SimTask, now: number): boolean {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
    if (!service.targetGroupArn) return now >= (task.startedAt ?? now) + NO_HEALTH_CHECK_SECONDS * 1000;
    return this.elb.stateOf(service.targetGroupArn, this.targetOf(service, task)) === 'healthy';
  }

  /** How the service's target group names the task. */
  private targetOf(service: SimService, task: SimTask): TargetRef {
    return service.targetType === 'instance' && task.placement
      ? { id: task.placement.ec2InstanceId, port: task.placement.hostPort }
      : { id: task.ip, port: CONTAINER_PORT };
  }

  private newDeployment(service: SimService, taskDefinition: string): SimDeployment {
    const id = `ecs-svc/${String(1000000000000000 + this.nextId++)}`;
    return {
      id,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: service.desiredCount,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      failedTasks: 0,
      createdAt: this.now(),
      profile:
        this.faults?.tasks({
          isNewRelease: this.newReleases.has(taskDefinition),
          failedDeployments: this.failedDeployments,
          madeDuringRun: this.seeded,
        }) ?? HEALTHY_TASKS,
    };
  }

  private launch(service: SimService, deployment: SimDeployment): SimTask {
    const n = this.nextIp++;
    const task: SimTask = {
      arn: `arn:aws:ecs:${this.region}:${this.account}:task/${service.cluster}/${hex(n, 32)}`,
      serviceKey: service.key,
      deploymentId: deployment.id,
      taskDefinitionArn: deployment.taskDefinition,
      ip: `10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`,
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      readyAt: this.now() + deployment.profile.startSeconds * 1000,
    };
    if (service.targetType === 'instance') {
      const instances = this.containerInstancesOf(service.cluster);
      const instance = instances[n % instances.length] as SimContainerInstance;
      task.placement = {
        containerInstanceArn: instance.arn,
        ec2InstanceId: instance.ec2InstanceId,
        hostPort: this.nextHostPort++,
      };
    }
    this.tasks.set(task.arn, task);
    if (this.seeded) this.event(service, `has started 1 tasks: (task ${task.arn.split('/').pop()}).`);
    const list = this.tasksOf.get(service.key);
    if (list) list.push(task);
    else this.tasksOf.set(service.key, [task]);
    return task;
  }

  private containerInstancesOf(cluster: string): SimContainerInstance[] {
    let instances = this.containerInstances.get(cluster);
    if (!instances) {
      instances = Array.from({ length: CONTAINER_INSTANCES }, (_, i) => {
        const seed = createHash('sha256').update(`${cluster}/${i}`).digest('hex');
        return {
          arn: `arn:aws:ecs:${this.region}:${this.account}:container-instance/${cluster}/${seed.slice(0, 32)}`,
          ec2InstanceId: `i-0${seed.slice(32, 48)}`,
        };
      });
      this.containerInstances.set(cluster, instances);
    }
    return instances;
  }

  /** Tells a task to stop: one with a target drains first (and runs meanwhile), others stop now. */
  private stop(service: SimService, task: SimTask, reason: string): void {
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = reason;
    if (task.lastStatus === 'RUNNING')
      this.event(service, `has stopped 1 running tasks: (task ${task.arn.split('/').pop()}).`);
    if (task.lastStatus !== 'RUNNING') {
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.now();
      return;
    }
    const drain = service.targetGroupArn
      ? this.elb.deregister(service.targetGroupArn, this.targetOf(service, task))
      : 0;
    task.stopAt = this.now() + drain * 1000;
    if (drain === 0) Object.assign(task, { lastStatus: 'STOPPED', stoppedAt: this.now() });
  }

  /** A service event, as ECS words them: "(service <name>) <what>". */
  private event(service: SimService, what: string, at = this.now()): void {
    service.events.push({
      id: `${hex(++this.eventCount, 8)}-0000-4000-8000-${hex(this.eventCount, 12)}`,
      createdAt: at,
      message: `(service ${service.name}) ${what}`,
    });
    if (service.events.length > EVENTS_KEPT) service.events.shift();
  }

  private register(
    service: SimService,
    task: SimTask,
    verdict: 'healthy' | 'unhealthy',
    healthSeconds: number,
  ) {
    return service.targetGroupArn
      ? this.elb.register(service.targetGroupArn, this.targetOf(service, task), verdict, healthSeconds)
      : undefined;
  }

  // ---- API ----

  private service(cluster: string | undefined, name: string | undefined): SimService {
    const service =
      this.services.get(`${cluster ?? 'default'}/${name}`) ??
      this.services.get(`${cluster}/${name?.split('/').pop()}`);
    if (!service) throw awsError('ServiceNotFoundException', `Service not found: ${name}`);
    return service;
  }

  resolveTaskDefinition(ref: string): SimTaskDefinition {
    const direct = this.taskDefinitions.get(ref);
    if (direct) return direct;
    const [family, revision] = ref.split('/').pop()?.split(':') ?? [];
    const matches = [...this.taskDefinitions.values()].filter(
      (t) => t.family === family && (!revision || String(t.revision) === revision),
    );
    const found = matches.sort((a, b) => b.revision - a.revision)[0];
    if (!found) throw awsError('ClientException', `Unable to describe task definition ${ref}.`);
    return found;
  }

  describeServices(input: { cluster?: string; services?: string[] }) {
    const services = [];
    const failures = [];
    for (const name of input.services ?? []) {
      const service = this.services.get(`${input.cluster}/${name}`);
      if (!service) {
        failures.push({
          arn: `arn:aws:ecs:${this.region}:${this.account}:service/${input.cluster}/${name}`,
          reason: 'MISSING',
        });
        continue;
      }
      services.push(this.describe(service));
    }
    return { services, failures };
  }

  private count(deploymentId: string, status: SimTask['lastStatus']) {
    return [...this.tasks.values()].filter((t) => t.deploymentId === deploymentId && t.lastStatus === status)
      .length;
  }

  private describe(service: SimService) {
    const deployments = service.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      runningCount: this.count(d.id, 'RUNNING'),
      pendingCount: this.count(d.id, 'PENDING'),
      failedTasks: d.failedTasks,
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
      createdAt: new Date(d.createdAt),
    }));
    return {
      serviceName: service.name,
      serviceArn: service.arn,
      clusterArn: `arn:aws:ecs:${this.region}:${this.account}:cluster/${service.cluster}`,
      status: 'ACTIVE',
      desiredCount: service.desiredCount,
      runningCount: deployments.reduce((n, d) => n + d.runningCount, 0),
      pendingCount: deployments.reduce((n, d) => n + d.pendingCount, 0),
      taskDefinition: service.deployments[0]?.taskDefinition,
      deployments,
      healthCheckGracePeriodSeconds: service.targetGroupArn
        ? service.healthCheckGracePeriodSeconds
        : undefined,
      deploymentConfiguration: structuredClone(service.deploymentConfiguration),
      events: service.events
        .map((e) => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message }))
        .reverse(),
    };
  }

  updateService(input: {
    cluster?: string;
    service?: string;
    taskDefinition?: string;
    desiredCount?: number;
    forceNewDeployment?: boolean;
    deploymentConfiguration?: DeploymentConfiguration;
  }) {
    const service = this.service(input.cluster, input.service);
    // The pessimistic reading: a deploymentConfiguration sent replaces the service's whole, so
    // whatever it leaves out (the circuit breaker, its alarms) is gone.
    if (input.deploymentConfiguration)
      service.deploymentConfiguration = structuredClone(input.deploymentConfiguration);
    if (input.desiredCount !== undefined) {
      if (input.desiredCount < 0) throw awsError('InvalidParameterException', 'desiredCount must be >= 0');
      service.desiredCount = input.desiredCount;
    }
    const primary = service.deployments[0];
    const taskDefinition = input.taskDefinition
      ? this.resolveTaskDefinition(input.taskDefinition).arn
      : primary?.taskDefinition;
    if (!taskDefinition) throw awsError('InvalidParameterException', 'no task definition');
    if (!primary || taskDefinition !== primary.taskDefinition || input.forceNewDeployment) {
      for (const d of service.deployments) d.status = 'ACTIVE';
      service.deployments.unshift(this.newDeployment(service, taskDefinition));
    } else {
      primary.desiredCount = service.desiredCount;
    }
    return { service: this.describe(service) };
  }

  listTasks(input: {
    cluster?: string;
    serviceName?: string;
    desiredStatus?: string;
    maxResults?: number;
    nextToken?: string;
  }) {
    const service = this.service(input.cluster, input.serviceName);
    const max = input.maxResults ?? 100;
    if (max < 1 || max > 100) throw awsError('InvalidParameterException', 'maxResults must be 1 to 100');
    // ListTasks filters on the desired status: a draining task, still running, is listed as STOPPED.
    const wanted = input.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING';
    const all = (this.tasksOf.get(service.key) ?? [])
      .filter((t) => t.desiredStatus === wanted)
      .map((t) => t.arn);
    // Pages of `max`, in launch order: the oldest first (the order is not documented, and this is
    // the unhelpful reading for a reader after the latest stopped tasks).
    const from = Number(input.nextToken ?? 0);
    return {
      taskArns: all.slice(from, from + max),
      ...(from + max < all.length && { nextToken: String(from + max) }),
    };
  }

  describeTasks(input: { cluster?: string; tasks?: string[] }) {
    if ((input.tasks?.length ?? 0) > 100)
      throw awsError('InvalidParameterException', 'Tasks cannot be longer than 100 tasks');
    const tasks = (input.tasks ?? []).flatMap((arn) => {
      const task = this.tasks.get(arn);
      if (!task) return [];
      const container = this.resolveTaskDefinition(task.taskDefinitionArn).containerDefinitions[0];
      return [
        {
          taskArn: task.arn,
          taskDefinitionArn: task.taskDefinitionArn,
          // ECS: a service's task carries the deployment that started it.
          startedBy: task.deploymentId,
          lastStatus: task.lastStatus,
          desiredStatus: task.desiredStatus,
          ...(task.startedAt !== undefined && { startedAt: new Date(task.startedAt) }),
          ...(task.stoppedReason && { stoppedReason: task.stoppedReason }),
          ...(task.stoppedAt !== undefined && { stoppedAt: new Date(task.stoppedAt) }),
          ...(task.placement
            ? {
                // Bridge networking: no ENI; the container's port is bound to a port of its instance.
                containerInstanceArn: task.placement.containerInstanceArn,
                containers: [
                  {
                    name: container?.name,
                    lastStatus: task.lastStatus,
                    networkBindings:
                      task.lastStatus === 'RUNNING'
                        ? [
                            {
                              bindIP: '0.0.0.0',
                              containerPort: CONTAINER_PORT,
                              hostPort: task.placement.hostPort,
                              protocol: 'tcp',
                            },
                          ]
                        : [],
                  },
                ],
              }
            : {
                attachments: [
                  {
                    type: 'ElasticNetworkInterface',
                    status: 'ATTACHED',
                    details: [{ name: 'privateIPv4Address', value: task.ip }],
                  },
                ],
              }),
        },
      ];
    });
    return { tasks, failures: [] };
  }

  describeContainerInstances(input: { cluster?: string; containerInstances?: string[] }) {
    const asked = input.containerInstances ?? [];
    if (asked.length > 100)
      throw awsError('InvalidParameterException', 'containerInstances cannot be longer than 100');
    const known = this.containerInstances.get(input.cluster?.split('/').pop() ?? 'default') ?? [];
    const containerInstances = [];
    const failures = [];
    for (const ref of asked) {
      const found = known.find((c) => c.arn === ref || c.arn.endsWith(`/${ref}`));
      if (found)
        containerInstances.push({
          containerInstanceArn: found.arn,
          ec2InstanceId: found.ec2InstanceId,
          status: 'ACTIVE',
          agentConnected: true,
        });
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { containerInstances, failures };
  }

  describeTaskDefinition(input: { taskDefinition?: string }) {
    const td = this.resolveTaskDefinition(input.taskDefinition ?? '');
    const { tags, other, arn: _arn, ...rest } = td;
    return {
      taskDefinition: {
        ...structuredClone(other),
        ...structuredClone(rest),
        taskDefinitionArn: td.arn,
        status: 'ACTIVE',
        compatibilities: ['EC2', 'FARGATE'],
        requiresAttributes: [],
        registeredAt: new Date(this.startedAt),
        registeredBy: `arn:aws:iam::${this.account}:role/rehearsal`,
      },
      tags: structuredClone(tags),
    };
  }

  /** The revision the next RegisterTaskDefinition of the family makes. */
  nextRevision(family: string): number {
    return (
      Math.max(
        0,
        ...[...this.taskDefinitions.values()].filter((t) => t.family === family).map((t) => t.revision),
      ) + 1
    );
  }

  registerTaskDefinition(input: Partial<SimTaskDefinition> & { family?: string } & Record<string, unknown>) {
    if (!input.family || !input.containerDefinitions?.length)
      throw awsError('ClientException', 'family and containerDefinitions are required');
    const revision = this.nextRevision(input.family);
    const {
      family: _family,
      containerDefinitions,
      taskRoleArn,
      executionRoleArn,
      networkMode: _network,
      requiresCompatibilities: _compat,
      cpu: _cpu,
      memory: _memory,
      tags: _tags,
      ...other
    } = input;
    // ECS sets these itself (the SDK would not even send them).
    for (const field of READ_ONLY) delete other[field];
    const arn = this.addTaskDefinition(
      input.family,
      revision,
      structuredClone(containerDefinitions ?? []),
      { ...(taskRoleArn && { task: taskRoleArn }), ...(executionRoleArn && { execution: executionRoleArn }) },
      structuredClone(other),
    );
    this.newReleases.add(arn);
    return this.describeTaskDefinition({ taskDefinition: arn });
  }

  report() {
    return {
      services: [...this.services.values()].map((s) => {
        const described = this.describeServices({ cluster: s.cluster, services: [s.name] }).services[0];
        return {
          cluster: s.cluster,
          service: s.name,
          taskDefinition: described?.taskDefinition ?? null,
          desiredCount: s.desiredCount,
          runningCount: described?.runningCount ?? 0,
          rolloutState: described?.deployments[0]?.rolloutState ?? null,
          images: this.resolveTaskDefinition(described?.taskDefinition ?? '').containerDefinitions.map(
            (c) => c.image ?? '',
          ),
          circuitBreaker: {
            enable: s.deploymentConfiguration.deploymentCircuitBreaker?.enable === true,
            rollback: s.deploymentConfiguration.deploymentCircuitBreaker?.rollback === true,
          },
        };
      }),
    };
  }
}

const short = (arn: string) => arn.split('/').pop() ?? arn;
const hex = (n: number, width: number) => (n * 2654435761).toString(16).padStart(width, '0').slice(-width);
