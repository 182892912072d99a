import {
  DescribeNatGatewaysCommand,
  type DescribeNatGatewaysCommandInput,
  type DescribeNatGatewaysCommandOutput,
  DescribeVpcsCommand,
  type DescribeVpcsCommandInput,
  type DescribeVpcsCommandOutput,
  EC2Client,
  type NatGateway,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { checkNetwork } from '../../../tasks/health-check/check-network.ts';
import { HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { MAX_PAGES } from '../../../tasks/pages.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ec2Mock = mockClient(EC2Client);
const clients = testClients();

const request = HealthRequestSchema.parse({
  procedure: 'health-check',
  environment: 'prod',
  service: 'health check',
  region: 'us-east-1',
  requestedBy: 'jane',
  reason: null,
  vpcTag: { key: 'Environment', value: 'prod' },
  databases: ['enterprise-prod-db'],
  services: [
    {
      name: 'app',
      cluster: 'c1',
      service: 'app-service',
      targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
    },
  ],
  alarmNamePrefix: null,
  logs: [],
  notify: { fail: 'page', warn: 'warning' },
});

const check = () => invoke(checkNetwork, { request }, clients);

const vpcUrl = (id: string) =>
  `https://us-east-1.console.aws.amazon.com/vpcconsole/home?region=us-east-1#VpcDetails:VpcId=${id}`;
const natUrl = (id: string) =>
  `https://us-east-1.console.aws.amazon.com/vpcconsole/home?region=us-east-1#NatGatewayDetails:natGatewayId=${id}`;

const TAG_FILTER = [{ Name: 'tag:Environment', Values: ['prod'] }];

/**
 * Answers DescribeVpcs with the pages in turn (the last one again after them), and gives the inputs
 * as they were when sent: the SDK's paginator reuses one input object, so the recorded calls would
 * all show the last page's token.
 */
function vpcPages(
  ...pages: (Partial<DescribeVpcsCommandOutput> | ((n: number) => Partial<DescribeVpcsCommandOutput>))[]
): DescribeVpcsCommandInput[] {
  const sent: DescribeVpcsCommandInput[] = [];
  ec2Mock.on(DescribeVpcsCommand).callsFake((input: DescribeVpcsCommandInput) => {
    sent.push({ ...input });
    const page = pages[sent.length - 1] ?? pages[pages.length - 1];
    return { $metadata: {}, ...(typeof page === 'function' ? page(sent.length) : page) };
  });
  return sent;
}

/** The same for DescribeNatGateways. */
function natPages(
  ...pages: (
    | Partial<DescribeNatGatewaysCommandOutput>
    | ((n: number) => Partial<DescribeNatGatewaysCommandOutput>)
  )[]
): DescribeNatGatewaysCommandInput[] {
  const sent: DescribeNatGatewaysCommandInput[] = [];
  ec2Mock.on(DescribeNatGatewaysCommand).callsFake((input: DescribeNatGatewaysCommandInput) => {
    sent.push({ ...input });
    const page = pages[sent.length - 1] ?? pages[pages.length - 1];
    return { $metadata: {}, ...(typeof page === 'function' ? page(sent.length) : page) };
  });
  return sent;
}

const vpc = (id: string, more: Partial<Vpc> = {}): Vpc => ({
  VpcId: id,
  State: 'available',
  CidrBlock: '10.0.0.0/16',
  ...more,
});
const nat = (id: string, more: Partial<NatGateway> = {}): NatGateway => ({
  NatGatewayId: id,
  VpcId: 'vpc-1',
  State: 'available',
  ...more,
});

describe('check-network', () => {
  beforeEach(() => {
    ec2Mock.reset();
  });

  it("reads every page of the tag's VPCs and of their NAT gateways, and judges each", async () => {
    // Given two pages of VPCs (one available, one pending) and two pages of NAT gateways
    const vpcsSent = vpcPages(
      { Vpcs: [vpc('vpc-1')], NextToken: 'vpc-page-2' },
      { Vpcs: [vpc('vpc-2', { State: 'pending', CidrBlock: '10.1.0.0/16' })] },
    );
    const natsSent = natPages(
      { NatGateways: [nat('nat-1')], NextToken: 'nat-page-2' },
      { NatGateways: [nat('nat-2', { VpcId: 'vpc-2', State: 'pending' })] },
    );

    // When
    const result = await check();

    // Then both VPC pages were asked for by the tag, 100 a page, the second with the first's token
    expect(vpcsSent).toStrictEqual([
      { Filters: TAG_FILTER, MaxResults: 100, NextToken: undefined },
      { Filters: TAG_FILTER, MaxResults: 100, NextToken: 'vpc-page-2' },
    ]);
    // And both NAT pages by the ids of the VPCs found on both pages
    const vpcFilter = [{ Name: 'vpc-id', Values: ['vpc-1', 'vpc-2'] }];
    expect(natsSent).toStrictEqual([
      { Filter: vpcFilter, MaxResults: 100, NextToken: undefined },
      { Filter: vpcFilter, MaxResults: 100, NextToken: 'nat-page-2' },
    ]);
    expect(ec2Mock.commandCalls(DescribeVpcsCommand)).toHaveLength(2);
    expect(ec2Mock.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(2);
    // And every VPC and gateway of both pages is a finding, with its console page
    expect(result).toStrictEqual({
      check: 'network',
      findings: [
        {
          check: 'network',
          target: 'vpc-1',
          expected: 'VPC available',
          actual: 'available (10.0.0.0/16)',
          verdict: 'pass',
          follow: vpcUrl('vpc-1'),
        },
        {
          check: 'network',
          target: 'vpc-2',
          expected: 'VPC available',
          actual: 'pending (10.1.0.0/16)',
          verdict: 'warn',
          follow: vpcUrl('vpc-2'),
        },
        {
          check: 'network',
          target: 'nat-1',
          expected: 'NAT gateway available',
          actual: 'available in vpc-1',
          verdict: 'pass',
          follow: natUrl('nat-1'),
        },
        {
          check: 'network',
          target: 'nat-2',
          expected: 'NAT gateway available',
          actual: 'pending in vpc-2',
          verdict: 'warn',
          follow: natUrl('nat-2'),
        },
      ],
    });
    expect(checkNetwork.summarize?.(result)).toBe('network: 2 pass, 2 warn, 0 fail');
  });

  it.each([
    ['available', 'pass'],
    ['pending', 'warn'],
    ['deleted', 'warn'],
    ['deleting', 'fail'],
    ['failed', 'fail'],
    ['exploded', 'fail'],
    // Looked up by own key: a state naming one of Object.prototype's members is unknown.
    ['constructor', 'fail'],
  ] as const)('judges a NAT gateway that is %s as %s', async (state, verdict) => {
    // Given
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    natPages({ NatGateways: [nat('nat-1', { State: state as NatGateway['State'] })] });

    // When
    const result = await check();

    // Then
    expect(result.findings[1]).toStrictEqual({
      check: 'network',
      target: 'nat-1',
      expected: 'NAT gateway available',
      actual: `${state} in vpc-1`,
      verdict,
      follow: natUrl('nat-1'),
    });
  });

  it('fails a NAT gateway EC2 describes without a state or an id', async () => {
    // Given
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    natPages({ NatGateways: [{ VpcId: 'vpc-1' }] });

    // When
    const result = await check();

    // Then
    expect(result.findings[1]).toStrictEqual({
      check: 'network',
      target: '?',
      expected: 'NAT gateway available',
      actual: ' in vpc-1',
      verdict: 'fail',
      follow: natUrl('undefined'),
    });
  });

  it('says why a NAT gateway failed, with its failure code and message', async () => {
    // Given
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    natPages({
      NatGateways: [
        nat('nat-1', {
          State: 'failed',
          FailureCode: 'Gateway.NotAttached',
          FailureMessage: 'Network vpc-1 has no Internet gateway attached',
        }),
        // A message without a code is not shown
        nat('nat-2', { State: 'failed', FailureMessage: 'no code' }),
      ],
    });

    // When
    const result = await check();

    // Then
    expect(result.findings.slice(1).map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [
        'nat-1',
        'fail',
        'failed in vpc-1: Gateway.NotAttached Network vpc-1 has no Internet gateway attached',
      ],
      ['nat-2', 'fail', 'failed in vpc-1'],
    ]);
  });

  it('judges a VPC that is not available as a warning', async () => {
    // Given
    vpcPages({ Vpcs: [vpc('vpc-1', { State: 'pending' }), vpc('vpc-2', { State: undefined })] });
    natPages({ NatGateways: [nat('nat-1')] });

    // When
    const result = await check();

    // Then
    expect(result.findings.slice(0, 2).map((f) => [f.target, f.verdict, f.actual])).toEqual([
      ['vpc-1', 'warn', 'pending (10.0.0.0/16)'],
      ['vpc-2', 'warn', ' (10.0.0.0/16)'],
    ]);
  });

  it('fails with one finding naming the tag when no VPC has it, and asks for no NAT gateway', async () => {
    // Given
    const sent = vpcPages({ Vpcs: [] });

    // When
    const result = await check();

    // Then
    expect(sent).toStrictEqual([{ Filters: TAG_FILTER, MaxResults: 100, NextToken: undefined }]);
    expect(result).toStrictEqual({
      check: 'network',
      findings: [
        {
          check: 'network',
          target: 'VPCs tagged Environment=prod',
          expected: 'at least one VPC, available',
          actual: 'no VPC of us-east-1 is tagged Environment=prod',
          verdict: 'fail',
        },
      ],
    });
    expect(ec2Mock.commandCalls(DescribeNatGatewaysCommand)).toEqual([]);
    expect(checkNetwork.summarize?.(result)).toBe('network: 0 pass, 0 warn, 1 fail');
  });

  it('fails the same when EC2 answers without a list of VPCs', async () => {
    // Given
    vpcPages({});

    // When
    const result = await check();

    // Then
    expect(result.findings.map((f) => [f.verdict, f.target])).toEqual([
      ['fail', 'VPCs tagged Environment=prod'],
    ]);
    expect(ec2Mock.commandCalls(DescribeNatGatewaysCommand)).toEqual([]);
  });

  it('warns when the VPCs have no NAT gateway at all', async () => {
    // Given
    vpcPages({ Vpcs: [vpc('vpc-1'), vpc('vpc-2')] });
    const sent = natPages({});

    // When
    const result = await check();

    // Then
    expect(sent).toStrictEqual([
      { Filter: [{ Name: 'vpc-id', Values: ['vpc-1', 'vpc-2'] }], MaxResults: 100, NextToken: undefined },
    ]);
    expect(result.findings).toStrictEqual([
      {
        check: 'network',
        target: 'vpc-1',
        expected: 'VPC available',
        actual: 'available (10.0.0.0/16)',
        verdict: 'pass',
        follow: vpcUrl('vpc-1'),
      },
      {
        check: 'network',
        target: 'vpc-2',
        expected: 'VPC available',
        actual: 'available (10.0.0.0/16)',
        verdict: 'pass',
        follow: vpcUrl('vpc-2'),
      },
      {
        check: 'network',
        target: 'NAT gateways of vpc-1, vpc-2',
        expected: 'NAT gateways available',
        actual: 'none: nothing in these VPCs reaches the internet through a NAT gateway',
        verdict: 'warn',
      },
    ]);
    expect(checkNetwork.summarize?.(result)).toBe('network: 2 pass, 1 warn, 0 fail');
  });

  it('asks for the NAT gateways of only the VPCs that have an id', async () => {
    // Given
    vpcPages({ Vpcs: [{ State: 'available', CidrBlock: '10.9.0.0/16' }, vpc('vpc-1')] });
    const sent = natPages({ NatGateways: [nat('nat-1')] });

    // When
    const result = await check();

    // Then
    expect(sent.map((input) => input.Filter)).toStrictEqual([[{ Name: 'vpc-id', Values: ['vpc-1'] }]]);
    expect(result.findings[0]).toMatchObject({ target: '?', verdict: 'pass', follow: vpcUrl('undefined') });
  });

  it('asks for the NAT gateways of at most 200 VPCs at once', async () => {
    // Given 201 VPCs on three pages
    const ids = Array.from({ length: 201 }, (_, i) => `vpc-${i}`);
    vpcPages(
      { Vpcs: ids.slice(0, 100).map((id) => vpc(id)), NextToken: 'p2' },
      { Vpcs: ids.slice(100, 200).map((id) => vpc(id)), NextToken: 'p3' },
      { Vpcs: ids.slice(200).map((id) => vpc(id)) },
    );
    const sent = natPages(
      { NatGateways: [nat('nat-1')] },
      { NatGateways: [nat('nat-2', { VpcId: 'vpc-200' })] },
    );

    // When
    const result = await check();

    // Then two listings: the first 200 ids, then the last, each from its first page
    expect(sent).toStrictEqual([
      { Filter: [{ Name: 'vpc-id', Values: ids.slice(0, 200) }], MaxResults: 100, NextToken: undefined },
      { Filter: [{ Name: 'vpc-id', Values: ['vpc-200'] }], MaxResults: 100, NextToken: undefined },
    ]);
    // And the gateways of both are judged, with nothing said of unread pages: 203 passes, more than
    // one result keeps, so some are counted and not listed
    expect(result.findings.every((f) => f.verdict === 'pass')).toBe(true);
    expect(result.findings.length + (result.unlisted?.pass ?? 0)).toBe(203);
    expect(result.unlisted).toMatchObject({ warn: 0, fail: 0 });
  });

  it(`warns that VPCs were left unchecked after ${MAX_PAGES} pages of them`, async () => {
    // Given every page of VPCs has one more VPC and a token for another page
    const vpcsSent = vpcPages((n) => ({ Vpcs: [vpc(`vpc-${n}`)], NextToken: `after-${n}` }));
    const natsSent = natPages({ NatGateways: [nat('nat-1')] });

    // When
    const result = await check();

    // Then the bound's pages were read, and one more was looked at
    expect(vpcsSent).toHaveLength(MAX_PAGES + 1);
    expect(vpcsSent[MAX_PAGES]).toStrictEqual({
      Filters: TAG_FILTER,
      MaxResults: 100,
      NextToken: `after-${MAX_PAGES}`,
    });
    // And the NAT gateways of the VPCs read were checked
    const read = Array.from({ length: MAX_PAGES }, (_, i) => `vpc-${i + 1}`);
    expect(natsSent.map((input) => input.Filter)).toStrictEqual([[{ Name: 'vpc-id', Values: read }]]);
    expect(result.findings.map((f) => f.target)).toEqual([...read, 'nat-1', 'VPCs tagged Environment=prod']);
    expect(result.findings.at(-1)).toStrictEqual({
      check: 'network',
      target: 'VPCs tagged Environment=prod',
      expected: 'every VPC and NAT gateway read',
      actual: 'more pages than one check reads; the rest is unchecked',
      verdict: 'warn',
    });
  });

  it(`warns that NAT gateways were left unchecked after ${MAX_PAGES} pages of them`, async () => {
    // Given one page of VPCs, and NAT gateway pages that never end
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    const sent = natPages((n) => ({ NatGateways: [nat(`nat-${n}`)], NextToken: `after-${n}` }));

    // When
    const result = await check();

    // Then
    expect(sent).toHaveLength(MAX_PAGES + 1);
    expect(result.findings).toHaveLength(1 + MAX_PAGES + 1);
    expect(result.findings.at(-2)?.target).toBe(`nat-${MAX_PAGES}`);
    expect(result.findings.at(-1)).toStrictEqual({
      check: 'network',
      target: 'VPCs tagged Environment=prod',
      expected: 'every VPC and NAT gateway read',
      actual: 'more pages than one check reads; the rest is unchecked',
      verdict: 'warn',
    });
    expect(checkNetwork.summarize?.(result)).toBe(`network: ${1 + MAX_PAGES} pass, 1 warn, 0 fail`);
  });

  it(`says nothing of unchecked pages when the ${MAX_PAGES}th page is the last`, async () => {
    // Given exactly MAX_PAGES pages of each, the last without a token
    const vpcsSent = vpcPages((n) => ({
      Vpcs: [vpc(`vpc-${n}`)],
      ...(n < MAX_PAGES ? { NextToken: `after-${n}` } : {}),
    }));
    const natsSent = natPages((n) => ({
      NatGateways: [nat(`nat-${n}`)],
      ...(n < MAX_PAGES ? { NextToken: `after-${n}` } : {}),
    }));

    // When
    const result = await check();

    // Then
    expect(vpcsSent).toHaveLength(MAX_PAGES);
    expect(natsSent).toHaveLength(MAX_PAGES);
    expect(result.findings).toHaveLength(2 * MAX_PAGES);
    expect(result.findings.every((f) => f.verdict === 'pass')).toBe(true);
  });

  it('shows text from EC2 harmlessly, and cuts it short', async () => {
    // Given a failure message with an ESC sequence, a forged line and 300 characters
    vpcPages({ Vpcs: [vpc('vpc-1', { CidrBlock: '10.0.0.0/16\u001b[2J' })] });
    natPages({
      NatGateways: [
        nat('nat-1', {
          State: 'failed',
          FailureCode: 'Code\nverdict: pass',
          FailureMessage: `\u001b[2J\nall good${'x'.repeat(300)}`,
        }),
      ],
    });

    // When
    const result = await check();

    // Then
    expect(result.findings[0]?.actual).toBe('available (10.0.0.0/16\\x1b[2J)');
    const message = `\\x1b[2J\\nall good${'x'.repeat(300)}`.slice(0, 199);
    expect(result.findings[1]?.actual).toBe(`failed in vpc-1: Code\\nverdict: pass ${message}…`);
  });

  it('surfaces throttling as TransientAwsError naming the call', async () => {
    // Given
    ec2Mock.on(DescribeVpcsCommand).rejects(throttled());

    // When / Then
    await expect(check()).rejects.toThrow(TransientAwsError);
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'EC2 DescribeVpcs: ThrottlingException: Rate exceeded',
    });

    // Given the VPCs read, and the NAT gateways throttled on their second page
    ec2Mock.reset();
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    ec2Mock
      .on(DescribeNatGatewaysCommand)
      .resolvesOnce({ NatGateways: [nat('nat-1')], NextToken: 'p2' })
      .rejects(throttled());

    // When / Then
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'EC2 DescribeNatGateways: ThrottlingException: Rate exceeded',
    });
  });

  it('lets any other error through as it is, for the state machine to catch', async () => {
    // Given
    ec2Mock.on(DescribeVpcsCommand).rejects(awsError('UnauthorizedOperation', 'not allowed'));

    // When / Then
    await expect(check()).rejects.toMatchObject({ name: 'UnauthorizedOperation', message: 'not allowed' });

    // Given
    ec2Mock.reset();
    vpcPages({ Vpcs: [vpc('vpc-1')] });
    ec2Mock.on(DescribeNatGatewaysCommand).rejects(awsError('AccessDenied', 'denied'));

    // When / Then
    await expect(check()).rejects.toMatchObject({ name: 'AccessDenied', message: 'denied' });
  });

  it('refuses a request that is not a health-check request, calling nothing', async () => {
    // Given
    const invalid = { request: { ...request, procedure: 'production-deployment' } };

    // When / Then
    await expect(invoke(checkNetwork, invalid, clients)).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(ec2Mock.calls()).toEqual([]);
  });

  it('is granted exactly the two EC2 reads it makes', () => {
    // Given / When / Then
    expect(checkNetwork.name).toBe('check-network');
    expect(checkNetwork.actions).toEqual(['ec2:DescribeVpcs', 'ec2:DescribeNatGateways']);
  });
});
