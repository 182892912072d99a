// The simulated services the health check reads answer as AWS does: EC2's filters and paging and its
// MaxResults bounds, CloudWatch Logs' empty first page, its term patterns and its missing group, ELB's
// target groups and load balancers, and DescribeAlarms by state and prefix.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { type AccountFaults, SimulatedAccount } from '../../rehearsal/account/account.ts';

const accountWith = (faults: AccountFaults = {}) =>
  new SimulatedAccount({ config: loadConfig(), faults, table: 'runbook-state' });

const ec2 = (faults: AccountFaults = {}) => accountWith(faults).service('ec2');
const logs = (faults: AccountFaults = {}) => accountWith(faults).service('logs');
const GROUP = '/aws/application/enterprise-prod';

describe('the simulated EC2', () => {
  it("finds each environment's VPC by its tag, and the NAT gateways in it, a page at a time", () => {
    const sim = ec2();
    const prod = sim.commands.DescribeVpcs({ Filters: [{ Name: 'tag:Environment', Values: ['prod'] }] });
    expect(prod.Vpcs).toEqual([expect.objectContaining({ State: 'available', CidrBlock: '10.0.0.0/16' })]);
    expect(prod.NextToken).toBeUndefined();
    const vpc = prod.Vpcs[0]?.VpcId ?? '';
    const first = sim.commands.DescribeNatGateways({ Filter: [{ Name: 'vpc-id', Values: [vpc] }] });
    expect(first.NatGateways).toHaveLength(1);
    expect(first.NextToken).toBe('1');
    const second = sim.commands.DescribeNatGateways({
      Filter: [{ Name: 'vpc-id', Values: [vpc] }],
      NextToken: first.NextToken,
    });
    expect(second.NextToken).toBeUndefined();
    expect([...first.NatGateways, ...second.NatGateways].map((n) => [n.VpcId, n.State])).toEqual([
      [vpc, 'available'],
      [vpc, 'available'],
    ]);
    expect(
      sim.commands.DescribeVpcs({ Filters: [{ Name: 'tag:Environment', Values: ['staging'] }] }).Vpcs,
    ).toEqual([]);
  });

  it('holds MaxResults to 5-1000, as EC2 does', () => {
    expect(() => ec2().commands.DescribeVpcs({ MaxResults: 4 })).toThrow(/maxResults is invalid/);
    expect(() => ec2().commands.DescribeNatGateways({ MaxResults: 1001 })).toThrow(/maxResults is invalid/);
    expect(ec2().commands.DescribeVpcs({ MaxResults: 5 }).Vpcs).toHaveLength(1);
  });

  it("breaks the first environment's first NAT gateway as the scenario says, with EC2's failure", () => {
    const sim = ec2({
      ec2: { natGateway: { state: 'failed', failureCode: 'Gateway.NotAttached', failureMessage: 'no IGW' } },
    });
    expect(sim.report().natGateways.map((n) => n.state)).toEqual([
      'failed',
      'available',
      'available',
      'available',
    ]);
    const failed = sim.commands.DescribeNatGateways({ Filter: [{ Name: 'state', Values: ['failed'] }] });
    expect(failed.NatGateways).toEqual([
      expect.objectContaining({
        State: 'failed',
        FailureCode: 'Gateway.NotAttached',
        FailureMessage: 'no IGW',
      }),
    ]);
  });
});

describe('the simulated CloudWatch Logs', () => {
  const now = () => accountWith().clock.now().getTime();

  it('answers first with an empty page and a token, then the matching events a few at a time', () => {
    const sim = logs({ logs: { errorsPerHour: 12 } });
    const end = now();
    const query = { logGroupName: GROUP, startTime: end - 3600_000, endTime: end, filterPattern: 'ERROR' };
    const first = sim.filterLogEvents(query);
    expect(first).toMatchObject({ events: [], nextToken: '0' });
    const found: string[] = [];
    let token: string | undefined = first.nextToken;
    let pages = 0;
    while (token !== undefined) {
      const page = sim.filterLogEvents({ ...query, nextToken: token });
      expect(page.events.length).toBeLessThanOrEqual(5);
      found.push(...page.events.map((e) => e.message));
      token = page.nextToken;
      pages++;
    }
    expect(found).toHaveLength(12);
    expect(pages).toBe(3);
    expect(found.every((m) => m.startsWith(`ERROR [${GROUP}]`))).toBe(true);
  });

  it('evaluates term patterns: terms, ?alternatives, -exclusions and phrases; refuses a JSON pattern', () => {
    const sim = logs();
    const end = now();
    const count = (filterPattern: string) => {
      const query = { logGroupName: GROUP, startTime: end - 600_000, endTime: end, filterPattern };
      let n = 0;
      for (let token: string | undefined = '0'; token !== undefined; ) {
        const page = sim.filterLogEvents({ ...query, nextToken: token });
        n += page.events.length;
        token = page.nextToken;
      }
      return n;
    };
    // ten minutes: an INFO line a minute, both ends included; no ERROR (two an hour)
    expect(count('INFO')).toBe(11);
    expect(count('?INFO ?ERROR')).toBe(count('INFO') + count('ERROR'));
    expect(count('INFO -health')).toBe(0);
    expect(count('"GET /health"')).toBe(11);
    expect(count('error')).toBe(0);
    expect(() => count('{ $.level = "ERROR" }')).toThrow(/only term filter patterns/);
  });

  it('knows no log group the config does not name, nor the first when the scenario deletes it', () => {
    expect(() => logs().filterLogEvents({ logGroupName: '/aws/other' })).toThrow(
      'The specified log group does not exist.',
    );
    expect(() => logs({ logs: { missingLogGroup: true } }).filterLogEvents({ logGroupName: GROUP })).toThrow(
      /does not exist/,
    );
    expect(() => logs().filterLogEvents({ logGroupName: GROUP, limit: 0 })).toThrow(/limit/);
  });
});

describe('the simulated load balancers', () => {
  it('attach each target group to a load balancer of its own, and describe both by ARN, a page at a time', () => {
    const elb = accountWith({ elb: { loadBalancer: { state: 'failed', reason: 'gone' } } }).service('elb');
    const groups = [...elb.targetGroups.keys()];
    const first = elb.describeTargetGroups({ TargetGroupArns: groups });
    expect(first.TargetGroups).toHaveLength(1);
    expect(first.NextMarker).toBe('1');
    const lb = first.TargetGroups[0]?.LoadBalancerArns[0] ?? '';
    expect(lb).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/enterprise-prod-app-alb\//,
    );
    expect(elb.describeLoadBalancers({ LoadBalancerArns: [lb] }).LoadBalancers).toEqual([
      expect.objectContaining({
        LoadBalancerName: 'enterprise-prod-app-alb',
        State: { Code: 'failed', Reason: 'gone' },
      }),
    ]);
    expect(elb.report().loadBalancers.map((l) => l.state)).toEqual(['failed', 'active']);
  });

  it('refuses an ARN it does not know, and more than 20 load balancers at once', () => {
    const elb = accountWith().service('elb');
    expect(() => elb.describeTargetGroups({ TargetGroupArns: ['arn:nope'] })).toThrow(/not found/);
    expect(() => elb.describeLoadBalancers({ LoadBalancerArns: ['arn:nope'] })).toThrow(/not found/);
    expect(() =>
      elb.describeLoadBalancers({ LoadBalancerArns: Array.from({ length: 21 }, (_, i) => `arn:${i}`) }),
    ).toThrow(/less than or equal to 20/);
  });
});

describe('DescribeAlarms by state and prefix', () => {
  it('lists only alarms in the state asked for and with the prefix, and refuses names with a prefix', () => {
    const cloudwatch = accountWith({ cloudwatch: { alarmAtStart: true } }).service('cloudwatch');
    const firing = (prefix?: string) =>
      cloudwatch
        .describeAlarms({ StateValue: 'ALARM', ...(prefix && { AlarmNamePrefix: prefix }), MaxRecords: 100 })
        .MetricAlarms.map((a) => a.AlarmName);
    expect(firing()).toEqual(['enterprise-prod-app-5xx', 'enterprise-dev-app-5xx']);
    expect(firing('enterprise-prod-')).toEqual(['enterprise-prod-app-5xx']);
    expect(
      cloudwatch
        .describeAlarms({ StateValue: 'OK', AlarmNamePrefix: 'enterprise-prod-' })
        .MetricAlarms.map((a) => a.AlarmName),
    ).toEqual(['enterprise-prod-app-latency-p99']);
    expect(() => cloudwatch.describeAlarms({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })).toThrow(
      /cannot be used together/,
    );
  });
});
