// check-deployment on a service behind a load balancer: the new tasks' targets, read on every poll.
import {
  type DeploymentRolloutState,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
  type TargetHealthReasonEnum,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkDeployment } from '../../tasks/check-deployment.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const clients = testClients();

const cluster = 'enterprise-prod-cluster';
const service = 'app-service';
const targetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const next = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';
const targets = { targetGroupArn, targetType: 'ip' as const, unhealthyLimit: 3 };
const poll = {
  cluster,
  service,
  taskDefinition: next,
  deploymentId: 'ecs-svc/2',
  attempt: 0,
  maxAttempts: 5,
  unhealthyStreak: 0,
  targets,
};

const taskArn = (n: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/${String(n).padStart(32, '0')}`;

/** A Fargate task whose ENI attachment carries its private IP the way ECS reports it. */
/** The deployment that started a task of that task definition (ECS's startedBy of a service's task). */
const startedBy = (taskDefinitionArn: string) => (taskDefinitionArn === next ? 'ecs-svc/2' : 'ecs-svc/1');

function task(
  n: number,
  ip: string,
  taskDefinitionArn = next,
  lastStatus = 'RUNNING',
  by = startedBy(taskDefinitionArn),
): Task {
  return {
    taskArn: taskArn(n),
    taskDefinitionArn,
    startedBy: by,
    lastStatus,
    attachments: [
      {
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-0123456789abcdef0' },
          { name: 'networkInterfaceId', value: `eni-${n}` },
          { name: 'macAddress', value: '0a:00:00:00:00:01' },
          { name: 'privateIPv4Address', value: ip },
        ],
      },
    ],
  };
}

function target(
  ip: string,
  State: TargetHealthStateEnum,
  Reason?: TargetHealthReasonEnum,
  Description?: string,
): TargetHealthDescription {
  return { Target: { Id: ip, Port: 8080 }, TargetHealth: { State, Reason, Description } };
}

/** The service as ECS describes it: our deployment PRIMARY, COMPLETED (or as given) with desired running. */
function givenService(desired: number, rolloutState: DeploymentRolloutState = 'COMPLETED') {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: service,
        desiredCount: desired,
        runningCount: desired,
        deployments: [
          {
            id: 'ecs-svc/2',
            status: 'PRIMARY',
            taskDefinition: next,
            rolloutState,
            desiredCount: desired,
            runningCount: desired,
          },
        ],
      },
    ],
  });
}

function given({
  desired = 2,
  rolloutState = 'COMPLETED',
  tasks,
  targets,
}: {
  desired?: number;
  rolloutState?: DeploymentRolloutState;
  tasks: Task[];
  targets: TargetHealthDescription[];
}) {
  givenService(desired, rolloutState);
  ecsMock.on(ListTasksCommand).resolves({ taskArns: tasks.map((t) => t.taskArn ?? '') });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks });
  elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: targets });
}

describe('check-deployment: the new tasks’ targets', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
  });

  it('is done when the targets of the new tasks are healthy, reading them from ECS and the target group', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy')],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toEqual({
      done: true,
      attempt: 1,
      rolloutState: 'COMPLETED',
      running: 2,
      desired: 2,
      deployments: 1,
      healthy: 2,
      unhealthyStreak: 0,
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster,
      services: [service],
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(ListTasksCommand, {
      cluster,
      serviceName: service,
      desiredStatus: 'RUNNING',
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeTasksCommand, {
      cluster,
      tasks: [taskArn(1), taskArn(2)],
    });
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, {
      TargetGroupArn: targetGroupArn,
    });
  });

  it('does not count healthy targets of old tasks, nor draining ones, while the new targets register', async () => {
    // Given
    given({
      tasks: [
        task(1, '10.0.1.10'),
        task(2, '10.0.2.10'),
        task(3, '10.0.1.20', previous),
        task(4, '10.0.2.20', previous),
      ],
      targets: [
        target('10.0.1.10', 'initial', 'Elb.RegistrationInProgress'),
        target('10.0.2.10', 'draining', 'Target.DeregistrationInProgress'),
        target('10.0.1.20', 'healthy'),
        target('10.0.2.20', 'healthy'),
      ],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({
      done: false,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 2,
    });
  });

  it('does not count a healthy target of a new task that is not RUNNING yet, nor an IP of no task', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10', next, 'ACTIVATING')],
      targets: [
        target('10.0.1.10', 'healthy'),
        target('10.0.2.10', 'healthy'),
        target('10.0.3.99', 'healthy'),
      ],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, healthy: 1, desired: 2 });
  });

  it("counts only the deployment's own tasks: a forced deployment's old tasks of the same task definition are not new", async () => {
    // Given two tasks of the new task definition started by an earlier deployment (a forced one
    // replaces them), and one of ours
    given({
      tasks: [
        task(1, '10.0.1.10', next, 'RUNNING', 'ecs-svc/1'),
        task(2, '10.0.2.10', next, 'RUNNING', 'ecs-svc/1'),
        task(3, '10.0.3.10'),
      ],
      targets: [
        target('10.0.1.10', 'unhealthy'),
        target('10.0.2.10', 'healthy'),
        target('10.0.3.10', 'healthy'),
      ],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then only ours is counted, and the old one's unhealthy target starts no streak
    expect(result).toMatchObject({ healthy: 1, unhealthyStreak: 0 });
  });

  it('never reads an empty target group as healthy', async () => {
    // Given
    given({ tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')], targets: [] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({
      done: false,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 2,
    });
  });

  it('never reads a service without running tasks as healthy, and describes no tasks', async () => {
    // Given
    given({ tasks: [], targets: [target('10.0.1.20', 'healthy'), target('10.0.2.20', 'healthy')] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, healthy: 0 });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTasksCommand);
  });

  it('is done at once for a service scaled to zero', async () => {
    // Given
    given({ desired: 0, tasks: [], targets: [] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({
      done: true,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 0,
    });
  });

  it('counts a poll with an unhealthy new target into the streak, below the limit', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'unhealthy', 'Target.Timeout')],
    });

    // When
    const result = await invoke(checkDeployment, { ...poll, attempt: 1, unhealthyStreak: 1 }, clients);

    // Then
    expect(result).toMatchObject({
      done: false,
      attempt: 2,
      unhealthyStreak: 2,
      healthy: 1,
      desired: 2,
    });
  });

  it('starts the streak at zero when the input does not carry one', async () => {
    // Given
    const { unhealthyStreak: _, ...first } = poll;
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'unhealthy', 'Target.Timeout'), target('10.0.2.10', 'initial')],
    });

    // When
    const result = await invoke(checkDeployment, first, clients);

    // Then
    expect(result).toMatchObject({ done: false, unhealthyStreak: 1 });
  });

  it('resets the streak once no new target is unhealthy (a blip)', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'initial', 'Elb.RegistrationInProgress')],
    });

    // When
    const result = await invoke(checkDeployment, { ...poll, attempt: 2, unhealthyStreak: 2 }, clients);

    // Then
    expect(result).toMatchObject({ done: false, attempt: 3, unhealthyStreak: 0 });
  });

  it('throws TargetsUnhealthy with the reason codes when the streak reaches the limit', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10'), task(3, '10.0.1.20', previous)],
      targets: [
        target(
          '10.0.1.10',
          'unhealthy',
          'Target.ResponseCodeMismatch',
          'Health checks failed with these codes: [502]',
        ),
        target('10.0.2.10', 'unhealthy', 'Target.Timeout'),
        target('10.0.1.20', 'unhealthy', 'Target.FailedHealthChecks'),
      ],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 2, unhealthyStreak: 2 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message:
        `2 of 2 new targets of ${service} unhealthy past the health-check grace period for 3 polls in a row: ` +
        '10.0.1.10:8080 unhealthy (Target.ResponseCodeMismatch) Health checks failed with these codes: [502]; 10.0.2.10:8080 unhealthy (Target.Timeout)',
    });
  });

  it('throws TargetsUnhealthy on the first unhealthy poll when the limit is 1, even with budget left', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'unhealthy', 'Target.Timeout')],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, targets: { ...targets, unhealthyLimit: 1 } }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `1 of 2 new targets of ${service} unhealthy past the health-check grace period for 1 poll: 10.0.2.10:8080 unhealthy (Target.Timeout)`,
    });
  });

  it('throws TargetsUnhealthy naming each target’s state when the poll budget is spent', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'initial', 'Elb.RegistrationInProgress')],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `only 1 of 2 new targets of ${service} became healthy within 5 polls: 10.0.1.10:8080 healthy; 10.0.2.10:8080 initial (Elb.RegistrationInProgress)`,
    });
  });

  it('throws TargetsUnhealthy when the budget is spent and no new task ever registered a target', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(3, '10.0.1.20', previous)],
      targets: [target('10.0.1.20', 'healthy')],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `only 0 of 2 new targets of ${service} became healthy within 5 polls: no targets registered for the new tasks`,
    });
  });

  it('is done when the targets become healthy on the last poll of the budget', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy')],
    });

    // When
    const result = await invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 5 });
  });

  it('fails on persistently unhealthy new targets while ECS still rolls out', async () => {
    // Given: ECS keeps the rollout IN_PROGRESS (the old tasks stay, the new ones are not healthy)
    given({
      rolloutState: 'IN_PROGRESS',
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10'), task(3, '10.0.1.20', previous)],
      targets: [
        target('10.0.1.10', 'unhealthy', 'Target.ResponseCodeMismatch'),
        target('10.0.2.10', 'initial', 'Elb.InitialHealthChecking'),
        target('10.0.1.20', 'healthy'),
      ],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 2, unhealthyStreak: 2 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `1 of 2 new targets of ${service} unhealthy past the health-check grace period for 3 polls in a row: 10.0.1.10:8080 unhealthy (Target.ResponseCodeMismatch)`,
    });
  });

  it('ignores an unhealthy target of a task still within the service’s grace period, counted from its start', async () => {
    // Given a service with a 300 s grace period, a task started 200 s before this poll and one 400 s before
    const now = '2026-12-02T08:00:00.000Z';
    const started = (secondsBefore: number) => new Date(Date.parse(now) - secondsBefore * 1000);
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: service,
          desiredCount: 2,
          runningCount: 2,
          healthCheckGracePeriodSeconds: 300,
          deployments: [
            {
              id: 'ecs-svc/2',
              status: 'PRIMARY',
              taskDefinition: next,
              rolloutState: 'IN_PROGRESS',
              desiredCount: 2,
              runningCount: 2,
            },
          ],
        },
      ],
    });
    const warming = { ...task(1, '10.0.1.10'), startedAt: started(200) };
    const late = { ...task(2, '10.0.2.10'), startedAt: started(400) };
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArn(1), taskArn(2)] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [warming] });
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        target('10.0.1.10', 'unhealthy', 'Target.Timeout'),
        target('10.0.2.10', 'initial'),
      ],
    });

    // When the only unhealthy target's task is within its grace period
    const result = await invoke(checkDeployment, { ...poll, now }, clients);

    // Then it does not count
    expect(result).toMatchObject({ done: false, unhealthyStreak: 0 });

    // When the unhealthy target's task is past it
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ ...warming, startedAt: started(400) }, late] });
    const checked = invoke(
      checkDeployment,
      { ...poll, now, targets: { ...targets, unhealthyLimit: 1 } },
      clients,
    );

    // Then the rollout fails
    await expect(checked).rejects.toMatchObject({ name: 'TargetsUnhealthy' });
  });

  it('names an ip target only by the task’s private address, not by its ENI’s other details', async () => {
    // Given targets named by the task's ENI id and MAC address (an ENI attachment lists those too)
    given({
      tasks: [task(1, '10.0.1.10')],
      targets: [target('eni-1', 'healthy'), target('0a:00:00:00:00:01', 'healthy')],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then neither counts
    expect(result).toMatchObject({ done: false, healthy: 0 });
  });

  it('skips a container instance ECS describes without its EC2 instance', async () => {
    // Given an instance target group, and ECS answering for the instance with no ec2InstanceId
    const instanceArn = 'arn:aws:ecs:us-east-1:123456789012:container-instance/enterprise-prod-cluster/aaaa';
    given({
      tasks: [
        {
          taskArn: taskArn(1),
          taskDefinitionArn: next,
          startedBy: 'ecs-svc/2',
          lastStatus: 'RUNNING',
          containerInstanceArn: instanceArn,
          containers: [{ name: 'app', networkBindings: [{ containerPort: 8080, hostPort: 32768 }] }],
        },
      ],
      targets: [{ Target: { Id: 'undefined', Port: 32768 }, TargetHealth: { State: 'healthy' } }],
    });
    ecsMock
      .on(DescribeContainerInstancesCommand)
      .resolves({ containerInstances: [{ containerInstanceArn: instanceArn }] });

    // When
    const result = await invoke(
      checkDeployment,
      { ...poll, targets: { ...targets, targetType: 'instance' as const } },
      clients,
    );

    // Then its task has no target
    expect(result).toMatchObject({ done: false, healthy: 0 });
  });

  it('reads past a target group entry without a target', async () => {
    // Given an entry ELB describes without its Target
    given({
      tasks: [task(1, '10.0.1.10')],
      targets: [{ TargetHealth: { State: 'unhealthy' } }, target('10.0.1.10', 'healthy')],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then it is not one of ours, and does not stop the check
    expect(result).toMatchObject({ healthy: 1 });
  });

  it('counts a task registered twice once', async () => {
    // Given one task whose address appears twice in the target group (two ports), both healthy
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10', next, 'PENDING')],
      targets: [
        target('10.0.1.10', 'healthy'),
        { ...target('10.0.1.10', 'healthy'), Target: { Id: '10.0.1.10', Port: 9090 } },
      ],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then one of two desired is healthy, not two
    expect(result).toMatchObject({ done: false, healthy: 1 });
  });

  it('times out as DeploymentTimedOut, naming the new targets, when ECS never completes the rollout', async () => {
    // Given
    given({
      rolloutState: 'IN_PROGRESS',
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy')],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentTimedOut',
      message: `rollout to ${service} did not complete within 5 polls: IN_PROGRESS, 2 of 2 running, 1 deployments; new targets: 10.0.1.10:8080 healthy; 10.0.2.10:8080 healthy`,
    });
  });

  it('is not done while the new targets are healthy but ECS has not completed the rollout (old tasks draining)', async () => {
    // Given
    given({
      rolloutState: 'IN_PROGRESS',
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [
        target('10.0.1.10', 'healthy'),
        target('10.0.2.10', 'healthy'),
        target('10.0.1.20', 'draining', 'Target.DeregistrationInProgress'),
      ],
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({
      done: false,
      rolloutState: 'IN_PROGRESS',
      healthy: 2,
      unhealthyStreak: 0,
    });
  });

  it('reads no target when it is not given a target group (the maintenance page)', async () => {
    // Given
    given({ tasks: [task(1, '10.0.1.10')], targets: [] });
    const { targets: _, ...withoutTargets } = poll;

    // When
    const result = await invoke(checkDeployment, withoutTargets, clients);

    // Then
    expect(result).toMatchObject({ done: true, healthy: null });
    expect(elbMock).not.toHaveReceivedAnyCommand();
    expect(ecsMock).not.toHaveReceivedCommand(ListTasksCommand);
  });

  describe('in an instance target group (bridge networking)', () => {
    const instances = {
      a: 'arn:aws:ecs:us-east-1:123456789012:container-instance/enterprise-prod-cluster/aaaa',
      b: 'arn:aws:ecs:us-east-1:123456789012:container-instance/enterprise-prod-cluster/bbbb',
    };
    /** A task on an EC2 container instance, its container port bound to a dynamic host port. */
    const onInstance = (n: number, instance: string, hostPort: number, taskDefinitionArn = next): Task => ({
      taskArn: taskArn(n),
      taskDefinitionArn,
      startedBy: startedBy(taskDefinitionArn),
      lastStatus: 'RUNNING',
      containerInstanceArn: instance,
      containers: [
        {
          name: 'app',
          networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort, protocol: 'tcp' }],
        },
      ],
    });
    const at = (id: string, Port: number, State: TargetHealthStateEnum): TargetHealthDescription => ({
      Target: { Id: id, Port },
      TargetHealth: { State },
    });
    const instancePoll = { ...poll, targets: { ...targets, targetType: 'instance' as const } };

    function givenInstances(tasks: Task[], health: TargetHealthDescription[]) {
      given({ tasks, targets: health });
      ecsMock.on(DescribeContainerInstancesCommand).resolves({
        containerInstances: [
          { containerInstanceArn: instances.a, ec2InstanceId: 'i-0aaaaaaaaaaaaaaaa' },
          { containerInstanceArn: instances.b, ec2InstanceId: 'i-0bbbbbbbbbbbbbbbb' },
        ],
      });
    }

    it('matches each target by EC2 instance and host port, looking each instance up once', async () => {
      // Given: two new tasks and an old one on the same two instances
      givenInstances(
        [
          onInstance(1, instances.a, 32768),
          onInstance(2, instances.b, 32769),
          onInstance(3, instances.a, 32770, previous),
        ],
        [
          at('i-0aaaaaaaaaaaaaaaa', 32768, 'healthy'),
          at('i-0bbbbbbbbbbbbbbbb', 32769, 'initial'),
          // The old task's port on the first instance: not ours, however healthy.
          at('i-0aaaaaaaaaaaaaaaa', 32770, 'healthy'),
        ],
      );

      // When
      const result = await invoke(checkDeployment, instancePoll, clients);

      // Then
      expect(result).toMatchObject({ done: false, healthy: 1, desired: 2 });
      expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeContainerInstancesCommand, {
        cluster,
        containerInstances: [instances.a, instances.b],
      });
    });

    it('is done when every new task’s instance and port is healthy', async () => {
      // Given
      givenInstances(
        [onInstance(1, instances.a, 32768), onInstance(2, instances.a, 32771)],
        [at('i-0aaaaaaaaaaaaaaaa', 32768, 'healthy'), at('i-0aaaaaaaaaaaaaaaa', 32771, 'healthy')],
      );

      // When
      const result = await invoke(checkDeployment, instancePoll, clients);

      // Then
      expect(result).toMatchObject({ done: true, healthy: 2 });
      expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeContainerInstancesCommand, {
        cluster,
        containerInstances: [instances.a],
      });
    });

    it('never counts an instance target by its address, nor a task whose instance ECS does not know', async () => {
      // Given: a target named by IP in an instance group, and a task on an unknown instance
      givenInstances(
        [
          task(1, '10.0.1.10'),
          onInstance(2, 'arn:aws:ecs:us-east-1:123456789012:container-instance/x/gone', 32768),
        ],
        [target('10.0.1.10', 'healthy'), at('i-0aaaaaaaaaaaaaaaa', 32768, 'healthy')],
      );

      // When
      const result = await invoke(checkDeployment, instancePoll, clients);

      // Then
      expect(result).toMatchObject({ done: false, healthy: 0 });
    });

    it('surfaces throttling of DescribeContainerInstances as TransientAwsError', async () => {
      // Given
      givenInstances([onInstance(1, instances.a, 32768)], []);
      ecsMock.on(DescribeContainerInstancesCommand).rejects(throttled());

      // When
      const checked = invoke(checkDeployment, instancePoll, clients);

      // Then
      await expect(checked).rejects.toMatchObject({
        name: 'TransientAwsError',
        message: 'ECS DescribeContainerInstances: ThrottlingException: Rate exceeded',
      });
    });
  });

  it('reads every page of running tasks and describes them 100 at a time', async () => {
    // Given
    const ips = Array.from({ length: 150 }, (_, i) => `10.0.${Math.floor(i / 100)}.${i % 100}`);
    const all = ips.map((ip, i) => task(i, ip));
    givenService(75);
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: all.slice(0, 100).map((t) => t.taskArn ?? ''), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: all.slice(100).map((t) => t.taskArn ?? '') });
    ecsMock
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: all.slice(0, 100) })
      .resolvesOnce({ tasks: all.slice(100) });
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: ips.slice(75).map((ip) => target(ip, 'healthy')),
    });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({ done: true, healthy: 75, desired: 75 });
    expect(ecsMock).toHaveReceivedCommandTimes(ListTasksCommand, 2);
    expect(ecsMock).toHaveReceivedNthCommandWith(ListTasksCommand, 2, {
      cluster,
      serviceName: service,
      desiredStatus: 'RUNNING',
      nextToken: 'page-2',
    });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTasksCommand, 2);
    expect(ecsMock).toHaveReceivedNthCommandWith(DescribeTasksCommand, 1, {
      cluster,
      tasks: all.slice(0, 100).map((t) => t.taskArn ?? ''),
    });
    expect(ecsMock).toHaveReceivedNthCommandWith(DescribeTasksCommand, 2, {
      cluster,
      tasks: all.slice(100).map((t) => t.taskArn ?? ''),
    });
  });

  it.each([
    ['ECS DescribeServices', () => ecsMock.on(DescribeServicesCommand).rejects(throttled())],
    ['ECS ListTasks', () => ecsMock.on(ListTasksCommand).rejects(throttled())],
    ['ECS DescribeTasks', () => ecsMock.on(DescribeTasksCommand).rejects(throttled())],
    ['ELBv2 DescribeTargetHealth', () => elbMock.on(DescribeTargetHealthCommand).rejects(throttled())],
  ])('surfaces throttling of %s as TransientAwsError', async (what, fail) => {
    // Given
    given({ tasks: [task(1, '10.0.1.10')], targets: [target('10.0.1.10', 'healthy')] });
    fail();

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `${what}: ThrottlingException: Rate exceeded`,
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    given({ tasks: [task(1, '10.0.1.10')], targets: [] });
    elbMock.on(DescribeTargetHealthCommand).rejects(awsError('TargetGroupNotFoundException', 'not found'));

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetGroupNotFoundException',
      message: 'not found',
    });
  });

  it.each([
    ['targets.unhealthyLimit', { ...poll, targets: { ...targets, unhealthyLimit: 0 } }],
    ['targets.targetGroupArn', { ...poll, targets: { ...targets, targetGroupArn: '' } }],
    ['targets.targetType', { ...poll, targets: { ...targets, targetType: 'lambda' } }],
  ])(
    'rejects an invalid %s as InvalidInput naming the field, without calling AWS',
    async (field, invalid) => {
      // Given
      const event = invalid;

      // When
      const checked = invoke(checkDeployment, event, clients);

      // Then
      await expect(checked).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`check-deployment: ${field}: `),
      });
      expect(ecsMock).not.toHaveReceivedAnyCommand();
      expect(elbMock).not.toHaveReceivedAnyCommand();
    },
  );
});
