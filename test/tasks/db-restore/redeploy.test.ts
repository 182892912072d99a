// A restore's swap: the services using the database redeployed (forced), then followed with the
// deployment's own checks, every one of them.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkRedeployments } from '../../../tasks/db-restore/check-redeployments.ts';
import { redeployServices } from '../../../tasks/db-restore/redeploy-services.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const clients = testClients();
const cluster = 'enterprise-prod-cluster';
const td = (s: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${s}:7`;
const user = (name: string) => ({
  name,
  cluster,
  service: `${name}-service`,
  targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`,
  targetType: 'ip' as const,
});
const users = [user('app'), user('worker')];
const NOW = '2026-12-01T10:00:00.000Z';
/** Each service as ECS describes it before the step: its PRIMARY deployment made before it started. */
const deployedBefore = () =>
  ecsMock.on(DescribeServicesCommand).callsFake((input) => ({
    services: [
      {
        deployments: [
          {
            id: `${input.services[0]}/old`,
            status: 'PRIMARY',
            taskDefinition: td(input.services[0]),
            createdAt: new Date('2026-11-30T00:00:00Z'),
          },
        ],
      },
    ],
  }));

describe('redeploy-services', () => {
  beforeEach(() => ecsMock.reset());

  it('forces a new deployment of each service, in order, and returns what to follow', async () => {
    deployedBefore();
    ecsMock.on(UpdateServiceCommand).callsFake((input) => ({
      service: {
        desiredCount: 2,
        deployments: [{ id: `${input.service}/new`, status: 'PRIMARY', taskDefinition: td(input.service) }],
      },
    }));
    const result = await invoke(redeployServices, { services: users, now: NOW }, clients);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster, service: 'app-service', forceNewDeployment: true },
      { cluster, service: 'worker-service', forceNewDeployment: true },
    ]);
    expect(result.services).toEqual(
      users.map((u) => ({ ...u, taskDefinition: td(u.service), deploymentId: `${u.service}/new` })),
    );
  });

  it('a retry does not force a service twice: a deployment made since the step started is followed', async () => {
    // Given app already forced by the attempt before (its PRIMARY made after the step started)
    ecsMock.on(DescribeServicesCommand).callsFake((input) => ({
      services: [
        {
          deployments: [
            input.services[0] === 'app-service'
              ? {
                  id: 'app-service/new',
                  status: 'PRIMARY',
                  taskDefinition: td('app-service'),
                  createdAt: new Date('2026-12-01T10:00:05Z'),
                }
              : {
                  id: 'worker-service/old',
                  status: 'PRIMARY',
                  taskDefinition: td('worker-service'),
                  createdAt: new Date('2026-11-30T00:00:00Z'),
                },
          ],
        },
      ],
    }));
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        deployments: [{ id: 'worker-service/new', status: 'PRIMARY', taskDefinition: td('worker-service') }],
      },
    });
    const result = await invoke(redeployServices, { services: users, now: NOW }, clients);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.service)).toEqual([
      'worker-service',
    ]);
    expect(result.services.map((s) => s.deploymentId)).toEqual(['app-service/new', 'worker-service/new']);
  });

  it('counts a deployment made the moment the step started as its own, and never one that is not PRIMARY', async () => {
    ecsMock.on(DescribeServicesCommand).callsFake((input) => ({
      services: [
        {
          deployments:
            input.services[0] === 'app-service'
              ? [
                  {
                    id: 'app-service/now',
                    status: 'PRIMARY',
                    taskDefinition: td('app-service'),
                    createdAt: new Date(NOW),
                  },
                ]
              : [
                  {
                    id: 'worker-service/old',
                    status: 'PRIMARY',
                    taskDefinition: td('worker-service'),
                    createdAt: new Date('2026-11-30T00:00:00Z'),
                  },
                  {
                    id: 'worker-service/other',
                    status: 'ACTIVE',
                    taskDefinition: td('worker-service'),
                    createdAt: new Date('2026-12-01T10:00:05Z'),
                  },
                ],
        },
      ],
    }));
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        deployments: [{ id: 'worker-service/new', status: 'PRIMARY', taskDefinition: td('worker-service') }],
      },
    });
    const result = await invoke(redeployServices, { services: users, now: NOW }, clients);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.service)).toEqual([
      'worker-service',
    ]);
    expect(result.services.map((s) => s.deploymentId)).toEqual(['app-service/now', 'worker-service/new']);
  });

  it('stops at the first refusal, naming it', async () => {
    deployedBefore();
    ecsMock
      .on(UpdateServiceCommand)
      .rejects(Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException' }));
    await expect(invoke(redeployServices, { services: users, now: NOW }, clients)).rejects.toMatchObject({
      name: 'ServiceNotFoundException',
    });
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });
});

describe('check-redeployments', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
  });
  const deployed = users.map((u) => ({
    ...u,
    taskDefinition: td(u.service),
    deploymentId: `${u.service}/new`,
  }));
  const poll = {
    services: deployed,
    unhealthyLimit: 2,
    now: '2026-12-01T10:00:00.000Z',
    attempt: 0,
    maxAttempts: 5,
  };
  const given = (rollout: Record<string, string>) => {
    ecsMock.on(DescribeServicesCommand).callsFake((input) => {
      const name = input.services[0];
      return {
        services: [
          {
            serviceName: name,
            desiredCount: 1,
            runningCount: 1,
            deployments: [
              {
                id: `${name}/new`,
                status: 'PRIMARY',
                taskDefinition: td(name),
                rolloutState: rollout[name],
                desiredCount: 1,
                runningCount: 1,
              },
            ],
          },
        ],
      };
    });
    ecsMock.on(ListTasksCommand).callsFake((input) => ({
      taskArns: [`arn:aws:ecs:us-east-1:123456789012:task/${cluster}/${input.serviceName}`],
    }));
    ecsMock.on(DescribeTasksCommand).callsFake((input) => ({
      tasks: input.tasks.map((arn: string) => ({
        taskArn: arn,
        taskDefinitionArn: td(arn.split('/').pop() ?? ''),
        // The task of the forced deployment being followed
        startedBy: `${arn.split('/').pop()}/new`,
        lastStatus: 'RUNNING',
        attachments: [
          {
            type: 'ElasticNetworkInterface',
            status: 'ATTACHED',
            details: [{ name: 'privateIPv4Address', value: '10.0.1.10' }],
          },
        ],
      })),
    }));
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: 'healthy' } },
      ],
    });
  };

  it('is done only when every service is: one still rolling keeps it waiting', async () => {
    given({ 'app-service': 'COMPLETED', 'worker-service': 'IN_PROGRESS' });
    expect(await invoke(checkRedeployments, poll, clients)).toMatchObject({
      done: false,
      attempt: 1,
      streaks: [0, 0],
      services: [
        { name: 'app', done: true, rolloutState: 'COMPLETED', healthy: 1 },
        { name: 'worker', done: false, rolloutState: 'IN_PROGRESS' },
      ],
    });
    given({ 'app-service': 'COMPLETED', 'worker-service': 'COMPLETED' });
    expect(await invoke(checkRedeployments, { ...poll, attempt: 1 }, clients)).toMatchObject({
      done: true,
      attempt: 2,
    });
  });

  it("fails with the deployment check's own error, naming the service", async () => {
    given({ 'app-service': 'COMPLETED', 'worker-service': 'FAILED' });
    await expect(invoke(checkRedeployments, poll, clients)).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message: expect.stringContaining('worker-service FAILED'),
    });
    given({ 'app-service': 'IN_PROGRESS', 'worker-service': 'IN_PROGRESS' });
    await expect(invoke(checkRedeployments, { ...poll, attempt: 4 }, clients)).rejects.toMatchObject({
      name: 'DeploymentTimedOut',
      message: expect.stringContaining('app-service'),
    });
  });

  it("carries each service's unhealthy streak from poll to poll, failing at the limit", async () => {
    given({ 'app-service': 'COMPLETED', 'worker-service': 'COMPLETED' });
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        {
          Target: { Id: '10.0.1.10', Port: 8080 },
          TargetHealth: { State: 'unhealthy', Description: 'Health checks failed' },
        },
      ],
    });
    // The first unhealthy poll counts one; below the limit of 2 the wait goes on
    expect(await invoke(checkRedeployments, poll, clients)).toMatchObject({ done: false, streaks: [1, 1] });
    // The streak given back reaches the limit
    await expect(
      invoke(checkRedeployments, { ...poll, attempt: 1, streaks: [1, 0] }, clients),
    ).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: expect.stringContaining('app-service'),
    });
  });
});
