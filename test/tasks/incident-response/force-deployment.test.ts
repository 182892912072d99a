import {
  type Deployment,
  DescribeServicesCommand,
  ECSClient,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { forceDeployment } from '../../../tasks/incident-response/force-deployment.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { at, now } from './request.ts';

const ecs = mockClient(ECSClient);
const clients = testClients();
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
const input = { cluster: 'prod-cluster', service: 'app-service', now };
const service = (deployments: Deployment[]) => ({
  services: [{ status: 'ACTIVE', desiredCount: 3, runningCount: 1, deployments }],
});
const primary = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'ecs-svc/1',
  status: 'PRIMARY',
  taskDefinition: TD,
  rolloutState: 'COMPLETED',
  createdAt: at(600),
  ...over,
});

describe('force-deployment', () => {
  beforeEach(() => {
    ecs.reset();
  });

  it('forces a new deployment of the task definition the service runs, changing nothing else', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([primary()]));
    ecs.on(UpdateServiceCommand).resolves({
      service: { desiredCount: 3, deployments: [primary({ id: 'ecs-svc/2', rolloutState: 'IN_PROGRESS' })] },
    });
    const result = await invoke(forceDeployment, input, clients);
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod-cluster',
      services: ['app-service'],
    });
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod-cluster', service: 'app-service', forceNewDeployment: true },
    ]);
    expect(result).toEqual({
      taskDefinition: TD,
      deploymentId: 'ecs-svc/2',
      desiredCount: 3,
      runningCount: 1,
    });
  });

  it.each([
    [
      'a second deployment',
      [primary({ rolloutState: 'IN_PROGRESS' }), { ...primary({ id: 'ecs-svc/0' }), status: 'ACTIVE' }],
    ],
    ['a PRIMARY still rolling out', [primary({ rolloutState: 'IN_PROGRESS' })]],
  ])('refuses to force over %s, before any change', async (_, deployments) => {
    ecs.on(DescribeServicesCommand).resolves(service(deployments));
    await expect(invoke(forceDeployment, input, clients)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringMatching(/a deployment of app-service is under way .*follow it or roll it back/),
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toEqual([]);
  });

  it('a retry follows the deployment it made since the step started, rather than forcing another', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      service([
        primary({
          id: 'ecs-svc/2',
          rolloutState: 'IN_PROGRESS',
          createdAt: new Date(Date.parse(now) + 1000),
        }),
      ]),
    );
    const result = await invoke(forceDeployment, input, clients);
    expect(result.deploymentId).toBe('ecs-svc/2');
    expect(ecs.commandCalls(UpdateServiceCommand)).toEqual([]);
  });

  it('refuses a service that is not active', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    await expect(invoke(forceDeployment, input, clients)).rejects.toMatchObject({ name: 'PreflightFailed' });
    expect(ecs.commandCalls(UpdateServiceCommand)).toEqual([]);
  });
});
