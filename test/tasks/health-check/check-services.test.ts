import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { checkServices } from '../../../tasks/health-check/check-services.ts';
import { type HealthRequest, HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const clients = testClients();

const tg = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const checked = (name: string, cluster = 'c1', service = `${name}-service`) => ({
  name,
  cluster,
  service,
  targetGroupArn: tg(name),
});

const request = HealthRequestSchema.parse({
  procedure: 'health-check',
  environment: 'prod',
  service: 'health check',
  region: 'us-east-1',
  requestedBy: 'jane',
  reason: null,
  vpcTag: { key: 'Environment', value: 'prod' },
  databases: ['enterprise-prod-db'],
  services: [checked('app')],
  alarmNamePrefix: null,
  logs: [],
  notify: { fail: 'page', warn: 'warning' },
});
const withServices = (...services: HealthRequest['services']): HealthRequest => ({ ...request, services });

const check = (req = request) => invoke(checkServices, { request: req }, clients);

const serviceUrl = (cluster: string, service: string) =>
  `https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/${cluster}/services/${service}/health?region=us-east-1`;
const EXPECTED = 'running == desired, one deployment, rollout completed';

const primary = (more: Partial<Deployment> = {}): Deployment => ({
  id: 'ecs-svc/2',
  status: 'PRIMARY',
  rolloutState: 'COMPLETED',
  desiredCount: 2,
  runningCount: 2,
  ...more,
});
const old: Deployment = { id: 'ecs-svc/1', status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 1 };

/** A service as ECS describes it: active, 2 of 2 running, its one deployment completed. */
const service = (name: string, more: Partial<Service> = {}): Service => ({
  serviceName: name,
  status: 'ACTIVE',
  desiredCount: 2,
  runningCount: 2,
  deployments: [primary()],
  ...more,
});

/** Answers each DescribeServices with every service it names, healthy, and gives the inputs as they were sent. */
function answerAll(): DescribeServicesCommandInput[] {
  const sent: DescribeServicesCommandInput[] = [];
  ecsMock.on(DescribeServicesCommand).callsFake((input: DescribeServicesCommandInput) => {
    sent.push({ ...input, services: [...(input.services ?? [])] });
    return { $metadata: {}, services: (input.services ?? []).map((name) => service(name)) };
  });
  return sent;
}

/** Answers DescribeServices with the one service of the request. */
function givenService(svc: Service) {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [svc], failures: [] });
}

describe('check-services', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('describes the service in its cluster and passes it when it runs as wanted, rollout completed', async () => {
    // Given
    givenService(service('app-service'));

    // When
    const result = await check();

    // Then
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster: 'c1',
      services: ['app-service'],
    });
    expect(ecsMock.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toStrictEqual({
      cluster: 'c1',
      services: ['app-service'],
    });
    expect(result).toStrictEqual({
      check: 'services',
      findings: [
        {
          check: 'services',
          target: 'c1/app-service',
          expected: EXPECTED,
          actual: '2 of 2 running, rollout completed',
          verdict: 'pass',
          follow: serviceUrl('c1', 'app-service'),
        },
      ],
    });
    expect(checkServices.summarize?.(result)).toBe('services: 1 pass, 0 warn, 0 fail');
  });

  it('asks once per cluster for its services, and lists the findings cluster by cluster', async () => {
    // Given services of two clusters, interleaved
    const sent = answerAll();

    // When
    const result = await check(
      withServices(
        checked('app', 'c1'),
        checked('worker', 'c2'),
        checked('api', 'c1'),
        checked('cron', 'c2'),
      ),
    );

    // Then
    expect(sent).toStrictEqual([
      { cluster: 'c1', services: ['app-service', 'api-service'] },
      { cluster: 'c2', services: ['worker-service', 'cron-service'] },
    ]);
    expect(result.findings.map((f) => [f.target, f.verdict, f.follow])).toEqual([
      ['c1/app-service', 'pass', serviceUrl('c1', 'app-service')],
      ['c1/api-service', 'pass', serviceUrl('c1', 'api-service')],
      ['c2/worker-service', 'pass', serviceUrl('c2', 'worker-service')],
      ['c2/cron-service', 'pass', serviceUrl('c2', 'cron-service')],
    ]);
  });

  it.each([
    [1, [1]],
    [9, [9]],
    [10, [10]],
    [11, [10, 1]],
    [20, [10, 10]],
    [21, [10, 10, 1]],
    [25, [10, 10, 5]],
  ])('asks for %i services of one cluster at most 10 a call', async (count, batches) => {
    // Given
    const names = Array.from({ length: count }, (_, i) => `s${i}`);
    const sent = answerAll();

    // When
    const result = await check(withServices(...names.map((n) => checked(n, 'c1', n))));

    // Then every service was asked for once, in the request's order, in batches of at most 10
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, batches.length);
    expect(sent.map((input) => input.services?.length)).toEqual(batches);
    expect(sent.every((input) => input.cluster === 'c1')).toBe(true);
    expect(sent.flatMap((input) => input.services)).toEqual(names);
    // And each is a finding of its own, passed
    expect(result.findings.map((f) => f.target)).toEqual(names.map((n) => `c1/${n}`));
    expect(result.findings.every((f) => f.verdict === 'pass')).toBe(true);
    expect(result.unlisted).toBeUndefined();
  });

  it('batches each cluster on its own: 11 of one and 3 of another are three calls', async () => {
    // Given
    const c1 = Array.from({ length: 11 }, (_, i) => checked(`a${i}`, 'c1', `a${i}`));
    const c2 = Array.from({ length: 3 }, (_, i) => checked(`b${i}`, 'c2', `b${i}`));
    const sent = answerAll();

    // When
    await check(withServices(...c1.slice(0, 1), ...c2, ...c1.slice(1)));

    // Then
    expect(sent).toStrictEqual([
      { cluster: 'c1', services: c1.slice(0, 10).map((s) => s.service) },
      { cluster: 'c1', services: ['a10'] },
      { cluster: 'c2', services: ['b0', 'b1', 'b2'] },
    ]);
  });

  it.each([
    // Not ACTIVE: a failure, whatever its tasks and deployments
    ['is DRAINING', { status: 'DRAINING' }, 'fail', 'DRAINING, 2 of 2 running'],
    [
      'is INACTIVE',
      { status: 'INACTIVE', runningCount: 0, desiredCount: 0 },
      'fail',
      'INACTIVE, 0 of 0 running',
    ],
    ['has no status', { status: undefined }, 'fail', ', 2 of 2 running'],
    // Its rollout failed: a failure, before it counts as rolling out
    [
      'failed its rollout',
      { deployments: [primary({ rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' })] },
      'fail',
      '2 of 2 running; the rollout failed: tasks failed to start',
    ],
    [
      'failed its rollout beside an older deployment',
      {
        runningCount: 1,
        deployments: [primary({ rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker' }), old],
      },
      'fail',
      '1 of 2 running; the rollout failed: circuit breaker',
    ],
    [
      'failed its rollout without a reason',
      { deployments: [primary({ rolloutState: 'FAILED' })] },
      'fail',
      '2 of 2 running; the rollout failed: ',
    ],
    // A rollout under way: a warning, even with fewer tasks than wanted
    [
      'has two deployments',
      { runningCount: 1, deployments: [primary(), old] },
      'warn',
      '1 of 2 running; a deployment is rolling out (2 deployments)',
    ],
    [
      'has one deployment IN_PROGRESS',
      { runningCount: 0, deployments: [primary({ rolloutState: 'IN_PROGRESS' })] },
      'warn',
      '0 of 2 running; a deployment is rolling out (1 deployments)',
    ],
    // One deployment, completed
    [
      'runs fewer tasks than wanted',
      { runningCount: 1 },
      'fail',
      '1 of 2 running, with no deployment under way',
    ],
    ['runs no task of 2', { runningCount: 0 }, 'fail', '0 of 2 running, with no deployment under way'],
    ['runs more tasks than wanted', { runningCount: 3 }, 'warn', '3 of 2 running: tasks are being stopped'],
    ['runs as many as wanted', {}, 'pass', '2 of 2 running, rollout completed'],
    [
      'wants none and runs none',
      { runningCount: 0, desiredCount: 0 },
      'pass',
      '0 of 0 running, rollout completed',
    ],
    [
      'has no counts',
      { runningCount: undefined, desiredCount: undefined },
      'pass',
      '0 of 0 running, rollout completed',
    ],
    // A FAILED deployment that is not the PRIMARY does not fail the service
    [
      'has a FAILED deployment that is not the PRIMARY',
      { deployments: [{ ...old, rolloutState: 'FAILED' as const }] },
      'pass',
      '2 of 2 running, rollout completed',
    ],
  ] as const)('judges a service that %s', async (_, more, verdict, actual) => {
    // Given
    givenService(service('app-service', more as Partial<Service>));

    // When
    const result = await check();

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'services',
        target: 'c1/app-service',
        expected: EXPECTED,
        actual,
        verdict,
        follow: serviceUrl('c1', 'app-service'),
      },
    ]);
  });

  it('finds each service of the answer by its name, in whatever order ECS lists them', async () => {
    // Given an answer in the other order
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [service('api-service', { runningCount: 1 }), service('app-service')],
    });

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      ['c1/app-service', 'pass', '2 of 2 running, rollout completed'],
      ['c1/api-service', 'fail', '1 of 2 running, with no deployment under way'],
    ]);
    expect(checkServices.summarize?.(result)).toBe('services: 1 pass, 0 warn, 1 fail');
  });

  it('fails a service ECS has no longer, with the reason ECS gives, and judges the others', async () => {
    // Given ECS answers the missing ones as failures, the longer name's first
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [service('app-service')],
      failures: [
        { arn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/really-gone', reason: 'INACTIVE' },
        { arn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/gone', reason: 'MISSING' },
      ],
    });

    // When
    const result = await check(
      withServices(
        checked('gone', 'c1', 'gone'),
        checked('app'),
        checked('really-gone', 'c1', 'really-gone'),
      ),
    );

    // Then all three were asked for in one call
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster: 'c1',
      services: ['gone', 'app-service', 'really-gone'],
    });
    // And each missing one has its own failure's reason
    expect(result.findings).toStrictEqual([
      {
        check: 'services',
        target: 'c1/gone',
        expected: EXPECTED,
        actual: 'ECS has no such service (MISSING)',
        verdict: 'fail',
        follow: serviceUrl('c1', 'gone'),
      },
      {
        check: 'services',
        target: 'c1/app-service',
        expected: EXPECTED,
        actual: '2 of 2 running, rollout completed',
        verdict: 'pass',
        follow: serviceUrl('c1', 'app-service'),
      },
      {
        check: 'services',
        target: 'c1/really-gone',
        expected: EXPECTED,
        actual: 'ECS has no such service (INACTIVE)',
        verdict: 'fail',
        follow: serviceUrl('c1', 'really-gone'),
      },
    ]);
    expect(checkServices.summarize?.(result)).toBe('services: 1 pass, 0 warn, 2 fail');
  });

  it('matches a failure by its ARN in the old format too, and fails a service ECS says nothing of', async () => {
    // Given a failure whose ARN has no cluster, and an answer naming neither service
    ecsMock.on(DescribeServicesCommand).resolves({
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/app-service', reason: 'MISSING' }],
    });

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      ['c1/app-service', 'fail', 'ECS has no such service (MISSING)'],
      ['c1/api-service', 'fail', 'ECS has no such service (MISSING)'],
    ]);
  });

  it('does not take a failure of one service for another whose name ends the same', async () => {
    // Given
    ecsMock.on(DescribeServicesCommand).resolves({
      failures: [
        { arn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/old-app', reason: 'INACTIVE' },
        { arn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/app' },
      ],
    });

    // When
    const result = await check(withServices(checked('app', 'c1', 'app')));

    // Then the reason is not old-app's, and the default when ECS gives none
    expect(result.findings[0]?.actual).toBe('ECS has no such service (MISSING)');
  });

  it('shows text from ECS harmlessly, and cuts it short', async () => {
    // Given a status, a rollout's reason and a failure's reason with ESC sequences and forged lines
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        service('app-service', { status: '\u001b[2J\nACTIVE' }),
        service('api-service', {
          deployments: [
            primary({
              rolloutState: 'FAILED',
              rolloutStateReason: `\u001b[31m\nverdict: pass${'x'.repeat(300)}`,
            }),
          ],
        }),
      ],
      failures: [
        { arn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/gone', reason: 'MISSING\u001b[2K\r\n' },
      ],
    });

    // When
    const result = await check(withServices(checked('app'), checked('api'), checked('gone', 'c1', 'gone')));

    // Then
    const reason = `\\x1b[31m\\nverdict: pass${'x'.repeat(300)}`.slice(0, 199);
    expect(result.findings.map((f) => [f.verdict, f.actual])).toEqual([
      ['fail', '\\x1b[2J\\nACTIVE, 2 of 2 running'],
      ['fail', `2 of 2 running; the rollout failed: ${reason}…`],
      ['fail', 'ECS has no such service (MISSING\\x1b[2K\\r\\n)'],
    ]);
  });

  it('surfaces throttling as TransientAwsError naming the call', async () => {
    // Given
    ecsMock.on(DescribeServicesCommand).rejects(throttled());

    // When / Then
    await expect(check()).rejects.toThrow(TransientAwsError);
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ECS DescribeServices: ThrottlingException: Rate exceeded',
    });
  });

  it('lets any other error through as it is, asking for no further batch', async () => {
    // Given the first cluster's services read, and the second's denied
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [service('app-service')] })
      .rejects(awsError('AccessDeniedException', 'not allowed'));

    // When / Then
    await expect(
      check(withServices(checked('app', 'c1'), checked('worker', 'c2'), checked('cron', 'c3'))),
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'not allowed' });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);

    // Given a cluster ECS does not know
    ecsMock.reset();
    ecsMock.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));

    // When / Then
    await expect(check()).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      message: 'Cluster not found.',
    });
  });

  it('finds nothing and calls nothing for an environment without a service', async () => {
    // Given / When
    const result = await check(withServices());

    // Then
    expect(result).toStrictEqual({ check: 'services', findings: [] });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
    expect(checkServices.summarize?.(result)).toBe('services: 0 pass, 0 warn, 0 fail');
  });

  it('refuses a request that is not a health-check request, calling nothing', async () => {
    // Given
    const invalid = { request: { ...request, procedure: 'production-deployment' } };

    // When
    const checkedRequest = invoke(checkServices, invalid, clients);

    // Then
    await expect(checkedRequest).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('check-services: request.procedure: '),
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted exactly the one ECS read it makes', () => {
    // Given / When / Then
    expect(checkServices.name).toBe('check-services');
    expect(checkServices.actions).toEqual(['ecs:DescribeServices']);
    expect(checkServices.everyResource).toBeUndefined();
  });
});
