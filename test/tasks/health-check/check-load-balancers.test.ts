import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type LoadBalancerStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { checkLoadBalancers } from '../../../tasks/health-check/check-load-balancers.ts';
import { type HealthRequest, HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const clients = testClients();

const tgArn = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const lbArn = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/${name}/50dc6c495c0c9188`;
const checked = (name: string) => ({
  name,
  cluster: 'c1',
  service: `${name}-service`,
  targetGroupArn: tgArn(`${name}-tg`),
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

const check = (req = request) => invoke(checkLoadBalancers, { request: req }, clients);

const lbUrl = (arn: string) =>
  `https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#LoadBalancer:loadBalancerArn=${arn}`;

/** ELB answers DescribeTargetGroups of the group with it, sending traffic from the balancers. */
function givenGroup(group: string, ...balancers: string[]) {
  elbMock.on(DescribeTargetGroupsCommand, { TargetGroupArns: [group] }).resolves({
    TargetGroups: [{ TargetGroupArn: group, LoadBalancerArns: balancers }],
  });
}

/** ELB answers DescribeLoadBalancers of the balancer with it, in the state given. */
function givenBalancer(
  name: string,
  state: LoadBalancer['State'] = { Code: 'active' },
  more: Partial<LoadBalancer> = {},
) {
  elbMock.on(DescribeLoadBalancersCommand, { LoadBalancerArns: [lbArn(name)] }).resolves({
    LoadBalancers: [{ LoadBalancerArn: lbArn(name), LoadBalancerName: name, State: state, ...more }],
  });
}

const inputs = (command: typeof DescribeTargetGroupsCommand | typeof DescribeLoadBalancersCommand) =>
  elbMock.commandCalls(command).map((c) => c.args[0].input);

describe('check-load-balancers', () => {
  beforeEach(() => {
    elbMock.reset();
  });

  it("finds the service's load balancer through its target group, and passes it when active", async () => {
    // Given
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    givenBalancer('prod-alb');

    // When
    const result = await check();

    // Then the target group, then its balancer, each asked for by its ARN alone
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetGroupsCommand, {
      TargetGroupArns: [tgArn('app-tg')],
    });
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DescribeLoadBalancersCommand, {
      LoadBalancerArns: [lbArn('prod-alb')],
    });
    expect(inputs(DescribeTargetGroupsCommand)).toStrictEqual([{ TargetGroupArns: [tgArn('app-tg')] }]);
    expect(inputs(DescribeLoadBalancersCommand)).toStrictEqual([{ LoadBalancerArns: [lbArn('prod-alb')] }]);
    // And the balancer is a finding naming what it serves, with its console page
    expect(result).toStrictEqual({
      check: 'load-balancers',
      findings: [
        {
          check: 'load-balancers',
          target: 'prod-alb',
          expected: 'active',
          actual: 'active (serves app)',
          verdict: 'pass',
          follow: lbUrl(lbArn('prod-alb')),
        },
      ],
    });
    expect(checkLoadBalancers.summarize?.(result)).toBe('load-balancers: 1 pass, 0 warn, 0 fail');
  });

  it('describes a load balancer several services share once, naming every service it serves', async () => {
    // Given app and api behind one balancer, worker behind another, and api behind both
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    givenGroup(tgArn('api-tg'), lbArn('prod-alb'), lbArn('internal-alb'));
    givenGroup(tgArn('worker-tg'), lbArn('internal-alb'));
    givenBalancer('prod-alb');
    givenBalancer('internal-alb', { Code: 'provisioning' });

    // When
    const result = await check(withServices(checked('app'), checked('api'), checked('worker')));

    // Then each group was asked for on its own, and each balancer once, in the order first found
    expect(inputs(DescribeTargetGroupsCommand)).toStrictEqual([
      { TargetGroupArns: [tgArn('app-tg')] },
      { TargetGroupArns: [tgArn('api-tg')] },
      { TargetGroupArns: [tgArn('worker-tg')] },
    ]);
    expect(inputs(DescribeLoadBalancersCommand)).toStrictEqual([
      { LoadBalancerArns: [lbArn('prod-alb')] },
      { LoadBalancerArns: [lbArn('internal-alb')] },
    ]);
    expect(result.findings).toStrictEqual([
      {
        check: 'load-balancers',
        target: 'prod-alb',
        expected: 'active',
        actual: 'active (serves app, api)',
        verdict: 'pass',
        follow: lbUrl(lbArn('prod-alb')),
      },
      {
        check: 'load-balancers',
        target: 'internal-alb',
        expected: 'active',
        actual: 'provisioning (serves api, worker)',
        verdict: 'warn',
        follow: lbUrl(lbArn('internal-alb')),
      },
    ]);
    expect(checkLoadBalancers.summarize?.(result)).toBe('load-balancers: 1 pass, 1 warn, 0 fail');
  });

  it.each([
    [{ Code: 'active' }, 'pass', 'active (serves app)'],
    [{ Code: 'provisioning' }, 'warn', 'provisioning (serves app)'],
    [
      { Code: 'active_impaired', Reason: 'The load balancer cannot scale' },
      'warn',
      'active_impaired: The load balancer cannot scale (serves app)',
    ],
    [{ Code: 'active_impaired' }, 'warn', 'active_impaired (serves app)'],
    [
      { Code: 'failed', Reason: 'Subnet subnet-1 has no free IP address' },
      'fail',
      'failed: Subnet subnet-1 has no free IP address (serves app)',
    ],
    [{ Code: 'failed' }, 'fail', 'failed (serves app)'],
    // A state ELB does not document, or none, is a failure
    [{ Code: 'exploded' }, 'fail', 'exploded (serves app)'],
    [{ Code: 'ACTIVE' }, 'fail', 'ACTIVE (serves app)'],
    [{ Reason: 'no code' }, 'fail', 'unknown: no code (serves app)'],
    [undefined, 'fail', 'unknown (serves app)'],
  ] as const)('judges a load balancer in the state %j as %s', async (state, verdict, actual) => {
    // Given
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    elbMock.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [
        {
          LoadBalancerArn: lbArn('prod-alb'),
          LoadBalancerName: 'prod-alb',
          State: state as LoadBalancer['State'],
        },
      ],
    });

    // When
    const result = await check();

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'load-balancers',
        target: 'prod-alb',
        expected: 'active',
        actual,
        verdict,
        follow: lbUrl(lbArn('prod-alb')),
      },
    ]);
  });

  it('names a load balancer ELB describes without a name by its ARN', async () => {
    // Given
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    givenBalancer('prod-alb', { Code: 'active' }, { LoadBalancerName: undefined });

    // When
    const result = await check();

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict])).toEqual([[lbArn('prod-alb'), 'pass']]);
  });

  it('fails a target group ELB knows none of, without a console page, and checks the others', async () => {
    // Given the app's group is gone
    elbMock
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: [tgArn('app-tg')] })
      .rejects(awsError('TargetGroupNotFoundException', 'One or more target groups not found'));
    givenGroup(tgArn('api-tg'), lbArn('prod-alb'));
    givenBalancer('prod-alb');

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then both groups were asked for, and only the balancer found was described
    expect(inputs(DescribeTargetGroupsCommand)).toStrictEqual([
      { TargetGroupArns: [tgArn('app-tg')] },
      { TargetGroupArns: [tgArn('api-tg')] },
    ]);
    expect(inputs(DescribeLoadBalancersCommand)).toStrictEqual([{ LoadBalancerArns: [lbArn('prod-alb')] }]);
    // And the gone group is a failure of its own
    expect(result.findings).toStrictEqual([
      {
        check: 'load-balancers',
        target: tgArn('app-tg'),
        expected: "a load balancer sends app's traffic to this target group",
        actual: 'ELB knows no such target group',
        verdict: 'fail',
      },
      {
        check: 'load-balancers',
        target: 'prod-alb',
        expected: 'active',
        actual: 'active (serves api)',
        verdict: 'pass',
        follow: lbUrl(lbArn('prod-alb')),
      },
    ]);
    expect(checkLoadBalancers.summarize?.(result)).toBe('load-balancers: 1 pass, 0 warn, 1 fail');
  });

  it('fails the same when ELB answers without a target group', async () => {
    // Given
    elbMock.on(DescribeTargetGroupsCommand).resolvesOnce({}).resolves({ TargetGroups: [] });

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [tgArn('app-tg'), 'fail', 'ELB knows no such target group'],
      [tgArn('api-tg'), 'fail', 'ELB knows no such target group'],
    ]);
    expect(elbMock).not.toHaveReceivedCommand(DescribeLoadBalancersCommand);
  });

  it('fails a target group no load balancer sends traffic to', async () => {
    // Given one group with an empty list of balancers, one without any list
    givenGroup(tgArn('app-tg'));
    elbMock
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: [tgArn('api-tg')] })
      .resolves({ TargetGroups: [{ TargetGroupArn: tgArn('api-tg') }] });

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'load-balancers',
        target: tgArn('app-tg'),
        expected: "a load balancer sends app's traffic to this target group",
        actual: 'no load balancer uses this target group',
        verdict: 'fail',
      },
      {
        check: 'load-balancers',
        target: tgArn('api-tg'),
        expected: "a load balancer sends api's traffic to this target group",
        actual: 'no load balancer uses this target group',
        verdict: 'fail',
      },
    ]);
    expect(elbMock).not.toHaveReceivedCommand(DescribeLoadBalancersCommand);
  });

  it('fails a load balancer ELB knows none of, by its ARN, and checks the others', async () => {
    // Given the group sends traffic from two balancers, one of them gone
    givenGroup(tgArn('app-tg'), lbArn('gone-alb'), lbArn('prod-alb'));
    elbMock
      .on(DescribeLoadBalancersCommand, { LoadBalancerArns: [lbArn('gone-alb')] })
      .rejects(awsError('LoadBalancerNotFoundException', 'One or more load balancers not found'));
    givenBalancer('prod-alb');

    // When
    const result = await check();

    // Then
    expect(inputs(DescribeLoadBalancersCommand)).toStrictEqual([
      { LoadBalancerArns: [lbArn('gone-alb')] },
      { LoadBalancerArns: [lbArn('prod-alb')] },
    ]);
    expect(result.findings).toStrictEqual([
      {
        check: 'load-balancers',
        target: lbArn('gone-alb'),
        expected: 'active',
        actual: 'ELB knows no such load balancer',
        verdict: 'fail',
        follow: lbUrl(lbArn('gone-alb')),
      },
      {
        check: 'load-balancers',
        target: 'prod-alb',
        expected: 'active',
        actual: 'active (serves app)',
        verdict: 'pass',
        follow: lbUrl(lbArn('prod-alb')),
      },
    ]);
  });

  it('fails the same when ELB answers without a load balancer', async () => {
    // Given
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });

    // When
    const result = await check();

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [lbArn('prod-alb'), 'fail', 'ELB knows no such load balancer'],
    ]);
  });

  it('lists the target groups that failed before the load balancers', async () => {
    // Given the first service's group is fine, the second's has no balancer
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    givenGroup(tgArn('api-tg'));
    givenBalancer('prod-alb', { Code: 'failed' });

    // When
    const result = await check(withServices(checked('app'), checked('api')));

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict])).toEqual([
      [tgArn('api-tg'), 'fail'],
      ['prod-alb', 'fail'],
    ]);
    expect(checkLoadBalancers.summarize?.(result)).toBe('load-balancers: 0 pass, 0 warn, 2 fail');
  });

  it('shows text from ELB harmlessly, and cuts it short', async () => {
    // Given a state code with an ESC sequence, and a reason with a forged line and 300 characters
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'), lbArn('other-alb'));
    givenBalancer('prod-alb', { Code: '\u001b[2Jactive' as LoadBalancerStateEnum });
    givenBalancer('other-alb', { Code: 'failed', Reason: `\u001b[31m\nverdict: pass${'x'.repeat(300)}` });

    // When
    const result = await check();

    // Then
    const reason = `\\x1b[31m\\nverdict: pass${'x'.repeat(300)}`.slice(0, 199);
    expect(result.findings.map((f) => [f.verdict, f.actual])).toEqual([
      ['fail', '\\x1b[2Jactive (serves app)'],
      ['fail', `failed: ${reason}… (serves app)`],
    ]);
  });

  // The verdicts are looked up by own key: a code naming one of Object.prototype's members is unknown.
  it('fails a load balancer whose state code names a member of every object', async () => {
    // Given
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    givenBalancer('prod-alb', { Code: 'constructor' as LoadBalancerStateEnum });

    // When
    const result = await check();

    // Then
    expect(result.findings[0]).toMatchObject({ actual: 'constructor (serves app)', verdict: 'fail' });
  });

  it('surfaces throttling as TransientAwsError naming the call', async () => {
    // Given
    elbMock.on(DescribeTargetGroupsCommand).rejects(throttled());

    // When / Then
    await expect(check()).rejects.toThrow(TransientAwsError);
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ELB DescribeTargetGroups: ThrottlingException: Rate exceeded',
    });

    // Given the group read, and its balancer throttled
    elbMock.reset();
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    elbMock.on(DescribeLoadBalancersCommand).rejects(throttled());

    // When / Then
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ELB DescribeLoadBalancers: ThrottlingException: Rate exceeded',
    });
  });

  it('lets any other error through as it is, for the state machine to catch', async () => {
    // Given
    elbMock.on(DescribeTargetGroupsCommand).rejects(awsError('AccessDenied', 'not allowed'));

    // When / Then
    await expect(check(withServices(checked('app'), checked('api')))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'not allowed',
    });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetGroupsCommand, 1);

    // Given the group read, and its balancer denied
    elbMock.reset();
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    elbMock.on(DescribeLoadBalancersCommand).rejects(awsError('AccessDenied', 'denied'));

    // When / Then
    await expect(check()).rejects.toMatchObject({ name: 'AccessDenied', message: 'denied' });
  });

  it("takes only each call's own not-found error for a resource that is gone", async () => {
    // Given DescribeTargetGroups failing with the balancer's not-found error
    elbMock
      .on(DescribeTargetGroupsCommand)
      .rejects(awsError('LoadBalancerNotFoundException', 'One or more load balancers not found'));

    // When / Then
    await expect(check()).rejects.toMatchObject({ name: 'LoadBalancerNotFoundException' });

    // Given DescribeLoadBalancers failing with the group's
    elbMock.reset();
    givenGroup(tgArn('app-tg'), lbArn('prod-alb'));
    elbMock
      .on(DescribeLoadBalancersCommand)
      .rejects(awsError('TargetGroupNotFoundException', 'One or more target groups not found'));

    // When / Then
    await expect(check()).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
  });

  it('finds nothing and calls nothing for an environment without a service', async () => {
    // Given / When
    const result = await check(withServices());

    // Then
    expect(result).toStrictEqual({ check: 'load-balancers', findings: [] });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses a request that is not a health-check request, calling nothing', async () => {
    // Given
    const invalid = { request: { ...request, procedure: 'production-deployment' } };

    // When
    const checkedRequest = invoke(checkLoadBalancers, invalid, clients);

    // Then
    await expect(checkedRequest).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('check-load-balancers: request.procedure: '),
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted exactly the two ELB reads it makes', () => {
    // Given / When / Then
    expect(checkLoadBalancers.name).toBe('check-load-balancers');
    expect(checkLoadBalancers.actions).toEqual([
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeLoadBalancers',
    ]);
    expect(checkLoadBalancers.everyResource).toBeUndefined();
  });
});
