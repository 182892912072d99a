// The simulated ECS rolls a service out as the ECS Developer Guide describes it behind a load
// balancer: new tasks count once their targets are healthy, old tasks stay until then and drain for
// the target group's deregistration delay, unhealthy targets are ignored for the grace period and
// then fail their tasks, and the service's own deploymentConfiguration decides the circuit breaker.
import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../infra/config.ts';
import { type AccountFaults, SimulatedAccount } from '../../rehearsal/account/account.ts';
import { HEALTH_CHECK_GRACE_SECONDS, HEALTHY_TASKS } from '../../rehearsal/account/ecs.ts';

const config = loadConfig();
const cluster = 'enterprise-prod-cluster';
const name = 'app-service';
const tg = config.environments.prod?.services.app?.targetGroupArn ?? '';

function accountWith(faults: AccountFaults = {}, withConfig: Config = config) {
  const account = new SimulatedAccount({ config: withConfig, faults, table: 'runbook-state' });
  const ecs = account.service('ecs');
  const elb = account.service('elb');
  /** Deploys the release before the baseline (a known task definition, so "not a new release"). */
  const deploy = () => {
    const [before] = [...ecs.taskDefinitions.values()].filter((t) => t.family === 'prod-app');
    ecs.updateService({ cluster, service: name, taskDefinition: before?.arn });
    return before?.arn ?? '';
  };
  const describe = () => ecs.describeServices({ cluster, services: [name] }).services[0];
  const tasksOf = (taskDefinition: string) =>
    [...ecs.tasks.values()].filter(
      (t) => t.serviceKey === `${cluster}/${name}` && t.taskDefinitionArn === taskDefinition,
    );
  const targets = () => elb.describeTargetHealth({ TargetGroupArn: tg }).TargetHealthDescriptions;
  return { account, ecs, deploy, describe, tasksOf, targets, at: (s: number) => account.clock.advance(s) };
}

describe('the simulated ECS rolling update behind a load balancer', () => {
  it('keeps every old task until the new targets are healthy, drains them for 300 s, then completes', () => {
    // Given a service of 3 healthy tasks, deployed to
    const { deploy, describe: now, tasksOf, at } = accountWith();
    const baseline = now()?.taskDefinition ?? '';
    const release = deploy();

    // When the new tasks run (45 s) but their targets are still in their initial health checks
    at(50);
    // Then no old task was told to stop: 3 healthy ones keep serving
    expect(tasksOf(baseline).filter((t) => t.desiredStatus === 'RUNNING')).toHaveLength(3);
    expect(tasksOf(release).filter((t) => t.lastStatus === 'RUNNING')).toHaveLength(3);
    expect(now()?.deployments[0]?.rolloutState).toBe('IN_PROGRESS');

    // When the new targets pass (30 s after registering; the simulation moves in 5 s steps)
    at(40);
    // Then the old tasks are told to stop, and keep running while their targets drain
    const old = tasksOf(baseline);
    expect(old.every((t) => t.desiredStatus === 'STOPPED' && t.lastStatus === 'RUNNING')).toBe(true);
    expect(now()?.deployments).toHaveLength(2);
    expect(now()?.deployments[0]?.rolloutState).toBe('IN_PROGRESS');

    // When the deregistration delay has almost passed, and then has
    at(285);
    expect(now()?.deployments[0]?.rolloutState).toBe('IN_PROGRESS');
    at(15);
    // Then the old tasks are stopped and the rollout is complete
    expect(old.every((t) => t.lastStatus === 'STOPPED')).toBe(true);
    expect(now()?.deployments).toHaveLength(1);
    expect(now()?.deployments[0]).toMatchObject({
      taskDefinition: release,
      rolloutState: 'COMPLETED',
      runningCount: 3,
    });
  });

  it('lists a draining task under desiredStatus STOPPED, as ListTasks filters', () => {
    // Given a rollout whose old tasks drain
    const { ecs, deploy, describe: now, tasksOf, at } = accountWith();
    const baseline = now()?.taskDefinition ?? '';
    const release = deploy();
    at(90);

    // When the running tasks are listed
    const running = ecs.listTasks({ cluster, serviceName: name, desiredStatus: 'RUNNING' }).taskArns;
    const stopping = ecs.listTasks({ cluster, serviceName: name, desiredStatus: 'STOPPED' }).taskArns;

    // Then the new ones are RUNNING, the draining old ones STOPPED
    expect(running.sort()).toEqual(
      tasksOf(release)
        .map((t) => t.arn)
        .sort(),
    );
    expect(stopping.sort()).toEqual(
      tasksOf(baseline)
        .map((t) => t.arn)
        .sort(),
    );
  });

  it('follows the target group’s deregistration delay', () => {
    // Given a 30 s deregistration delay
    const { deploy, describe: now, at } = accountWith({ elb: { deregistrationDelaySeconds: 30 } });
    deploy();

    // When the new targets are healthy (75 s) and 30 s more have passed
    at(75 + 45);

    // Then the rollout is complete
    expect(now()?.deployments[0]?.rolloutState).toBe('COMPLETED');
  });

  it('ignores an unhealthy target for the grace period, then fails its task and replaces it', () => {
    // Given new tasks that run but fail their health checks
    const {
      ecs,
      deploy,
      describe: now,
      tasksOf,
      at,
    } = accountWith({
      ecs: { tasks: () => ({ ...HEALTHY_TASKS, health: 'unhealthy' }) },
    });
    const baseline = now()?.taskDefinition ?? '';
    const release = deploy();

    // When the targets are unhealthy but the grace period (from the tasks' start) has not passed
    at(45 + HEALTH_CHECK_GRACE_SECONDS - 10);
    // Then ECS keeps them, and the old tasks, all of them still serving
    expect(tasksOf(release).filter((t) => t.desiredStatus === 'RUNNING')).toHaveLength(3);
    expect(tasksOf(baseline).filter((t) => t.desiredStatus === 'RUNNING')).toHaveLength(3);
    expect(now()?.deployments[0]?.failedTasks).toBe(0);

    // When the grace period has passed
    at(15);
    // Then each task is stopped as failed, and counts toward the circuit breaker, which trips at 3
    const failed = tasksOf(release).filter((t) => t.desiredStatus === 'STOPPED');
    expect(failed).toHaveLength(3);
    expect(failed[0]?.stoppedReason).toBe(`Task failed ELB health checks in (target-group ${tg})`);
    expect(now()?.deployments[0]).toMatchObject({ failedTasks: 3, rolloutState: 'FAILED' });
    // and the old tasks never stopped
    expect(tasksOf(baseline).filter((t) => t.desiredStatus === 'RUNNING')).toHaveLength(3);
    expect(ecs.failedDeployments).toBe(1);
  });

  it('replaces a task failed by its health check when the service has no circuit breaker, forever', () => {
    // Given no circuit breaker
    const {
      deploy,
      describe: now,
      tasksOf,
      at,
    } = accountWith({
      ecs: { tasks: () => ({ ...HEALTHY_TASKS, health: 'unhealthy' }), noCircuitBreaker: true },
      elb: { deregistrationDelaySeconds: 0 },
    });
    const release = deploy();

    // When the grace period has passed twice over
    at(2 * (45 + HEALTH_CHECK_GRACE_SECONDS) + 30);

    // Then the rollout never fails, and new tasks keep replacing the failed ones
    expect(now()?.deployments[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(now()?.deployments[0]?.failedTasks).toBeGreaterThanOrEqual(6);
    expect(tasksOf(release).filter((t) => t.desiredStatus === 'RUNNING')).toHaveLength(3);
  });

  it('rolls a failed deployment back to the last completed one, and never rolls a failed rollback back', () => {
    // Given a breaker with rollback, and tasks that crash whatever they run
    const crashing = { ...HEALTHY_TASKS, outcome: 'crashes' as const, startSeconds: 20 };
    const {
      account,
      deploy,
      describe: now,
    } = accountWith({ ecs: { tasks: () => crashing, rollsBack: true } });
    const baseline = now()?.taskDefinition ?? '';

    // When the deployment fails, and so does ECS's rollback to the baseline
    deploy();
    account.clock.advance(600);

    // Then ECS rolled back once, to the baseline, and left its failed rollback alone
    const failures = account.moments.list.filter((m) => m.kind === 'rollout-failed');
    expect(failures.map((m) => (m.kind === 'rollout-failed' ? m.ecsRollsBack : null))).toEqual([true, false]);
    expect(now()?.deployments[0]).toMatchObject({ taskDefinition: baseline, rolloutState: 'FAILED' });
  });

  it('lets minimumHealthyPercent 50 stop old tasks before the new ones are healthy', () => {
    // Given a service that keeps only half its tasks healthy during a deployment
    const { ecs, deploy, describe: now, tasksOf } = accountWith();
    const baseline = now()?.taskDefinition ?? '';
    const service = ecs.services.get(`${cluster}/${name}`);
    if (!service) throw new Error('no service');
    service.deploymentConfiguration = { ...service.deploymentConfiguration, minimumHealthyPercent: 50 };

    // When the deployment starts
    deploy();
    ecs.tick(Date.now());

    // Then one old task (3 - ceil(1.5)) is told to stop at once
    expect(tasksOf(baseline).filter((t) => t.desiredStatus === 'STOPPED')).toHaveLength(1);
  });

  it('counts a task without a load balancer 40 s after it runs (the maintenance page)', () => {
    // Given the maintenance page, scaled up
    const { ecs, at } = accountWith();
    ecs.updateService({ cluster, service: 'maintenance-page', desiredCount: 1 });
    const page = () => ecs.describeServices({ cluster, services: ['maintenance-page'] }).services[0];

    // When it runs (45 s) but not yet for 40 s
    at(50);
    expect(page()?.runningCount).toBe(1);
    // Then its deployment completes only 40 s after it runs
    at(40);
    expect(page()?.deployments[0]?.runningCount).toBe(1);
  });
});

describe('the simulated ECS with an instance target group (bridge networking)', () => {
  const instanceConfig: Config = structuredClone(config);
  const app = instanceConfig.environments.prod?.services.app;
  if (app) app.targetType = 'instance';

  it('registers each task as its EC2 instance and host port, and describes where it runs', () => {
    // Given
    const { ecs, describe: now, targets } = accountWith({}, instanceConfig);
    const baseline = now()?.taskDefinition ?? '';

    // When the running tasks are described
    const arns = ecs.listTasks({ cluster, serviceName: name, desiredStatus: 'RUNNING' }).taskArns;
    const described: Task[] = ecs.describeTasks({ cluster, tasks: arns }).tasks;
    const instances = ecs.describeContainerInstances({
      cluster,
      containerInstances: described.map((t) => t.containerInstanceArn ?? ''),
    }).containerInstances;

    // Then each is on a container instance, bound to a host port, and the target group names it so
    expect(ecs.resolveTaskDefinition(baseline).networkMode).toBe('bridge');
    expect(described.every((t) => t.attachments === undefined)).toBe(true);
    const expected = described.map((t) => ({
      Id: instances.find((i) => i.containerInstanceArn === t.containerInstanceArn)?.ec2InstanceId,
      Port: t.containers?.[0]?.networkBindings?.[0]?.hostPort,
    }));
    expect(expected.every((e) => e.Id?.startsWith('i-0') && (e.Port ?? 0) >= 32768)).toBe(true);
    expect(
      targets()
        .map((t) => t.Target)
        .sort((a, b) => a.Port - b.Port),
    ).toEqual(expected.sort((a, b) => (a.Port ?? 0) - (b.Port ?? 0)));
  });

  it('refuses more than 100 container instances, and reports unknown ones as failures', () => {
    const { ecs } = accountWith({}, instanceConfig);
    expect(() =>
      ecs.describeContainerInstances({
        cluster,
        containerInstances: Array.from({ length: 101 }, (_, i) => `c${i}`),
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
    expect(ecs.describeContainerInstances({ cluster, containerInstances: ['nope'] }).failures).toEqual([
      { arn: 'nope', reason: 'MISSING' },
    ]);
  });
});
