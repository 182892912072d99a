import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readService } from '../../../tasks/incident-response/read-service.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { at, now, request } from './request.ts';

const ecs = mockClient(ECSClient);
const clients = testClients();
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';

describe('read-service', () => {
  beforeEach(() => {
    ecs.reset();
  });

  it('reads the deployments, the latest events and the stopped tasks, counting the stopped reasons', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 3,
          runningCount: 1,
          pendingCount: 2,
          deployments: [
            {
              id: 'ecs-svc/1',
              status: 'PRIMARY',
              taskDefinition: TD,
              rolloutState: 'COMPLETED',
              runningCount: 1,
              desiredCount: 3,
              failedTasks: 4,
            },
          ],
          events: [{ createdAt: at(1), message: '(service app-service) has started 1 tasks: (task abc).' }],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2', 't3'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { stoppedReason: 'Essential container in task exited' },
        { stoppedReason: 'Essential container in task exited' },
        { stoppedReason: 'Scaling activity initiated by deployment ecs-svc/0' },
      ],
    });
    const section = await invoke(readService, { request, now }, clients);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      desiredStatus: 'STOPPED',
      maxResults: 100,
    });
    expect(ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({
      cluster: 'enterprise-prod-cluster',
      tasks: ['t1', 't2', 't3'],
    });
    expect(section).toMatchObject({ desiredCount: 3, runningCount: 1 });
    expect(section.attention).toEqual([
      '1 of 3 tasks running',
      '4 failed tasks in deployment ecs-svc/1 (prod-app:41)',
      // A scale-in's stopped tasks are not trouble
      '2 tasks stopped: Essential container in task exited',
    ]);
    expect(section.lines).toEqual([
      'app-service: 1 running, 2 pending, 3 desired',
      'deployment ecs-svc/1 PRIMARY prod-app:41 COMPLETED: 1 running of 3, 4 failed',
      '07:59:00Z (1 min ago) (service app-service) has started 1 tasks: (task abc).',
      'stopped: 2 x Essential container in task exited',
      'stopped: 1 x Scaling activity initiated by deployment ecs-svc/0',
    ]);
  });

  it('pages the stopped tasks, describes them 100 at a time, and counts the latest 100 by when they stopped', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ status: 'ACTIVE', desiredCount: 3, runningCount: 3, deployments: [] }],
    });
    const arns = Array.from({ length: 150 }, (_, i) => `t${i}`);
    ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns.slice(0, 100), nextToken: 'n' })
      .resolves({ taskArns: arns.slice(100) });
    // The first 100 listed stopped long ago, for another reason; the last 50 just now
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => {
        const n = Number(arn.slice(1));
        return n < 100
          ? { taskArn: arn, stoppedAt: at(300 + n), stoppedReason: 'old reason' }
          : { taskArn: arn, stoppedAt: at(1), stoppedReason: 'Essential container in task exited' };
      }),
    }));
    const section = await invoke(readService, { request, now }, clients);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length)).toEqual([
      100, 50,
    ]);
    expect(section.attention).toEqual([
      '50 tasks stopped: Essential container in task exited',
      '50 tasks stopped: old reason',
    ]);
  });

  it('a healthy service with no stopped task: nothing stands out, and no DescribeTasks', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 3,
          runningCount: 3,
          deployments: [
            { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD, rolloutState: 'COMPLETED' },
          ],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const section = await invoke(readService, { request, now }, clients);
    expect(section.attention).toEqual([]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toEqual([]);
  });

  it('a deployment under way or failed stands out', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 3,
          runningCount: 3,
          deployments: [
            {
              id: 'ecs-svc/2',
              status: 'PRIMARY',
              taskDefinition: TD,
              rolloutState: 'FAILED',
              rolloutStateReason: 'circuit breaker',
            },
          ],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const section = await invoke(readService, { request, now }, clients);
    expect(section.attention).toEqual([
      'deployment ecs-svc/2 (PRIMARY) FAILED: circuit breaker',
      '0 failed tasks in deployment ecs-svc/2 (prod-app:41)',
    ]);
  });

  it('a service that is not active is what stands out, with counts of zero', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const section = await invoke(readService, { request, now }, clients);
    expect(section).toMatchObject({
      attention: ['app-service is not an active service in enterprise-prod-cluster (not found)'],
      desiredCount: 0,
      runningCount: 0,
    });
    expect(ecs.commandCalls(ListTasksCommand)).toEqual([]);
  });
});
