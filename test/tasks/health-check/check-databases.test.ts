import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { checkDatabases } from '../../../tasks/health-check/check-databases.ts';
import { HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();

const DB = 'enterprise-prod-db';
const REPORTS = 'enterprise-prod-reports';

const request = HealthRequestSchema.parse({
  procedure: 'health-check',
  environment: 'prod',
  service: 'health check',
  region: 'us-east-1',
  requestedBy: 'jane',
  reason: null,
  vpcTag: { key: 'Environment', value: 'prod' },
  databases: [DB, REPORTS],
  services: [],
  alarmNamePrefix: null,
  logs: [],
  notify: { fail: 'page', warn: 'warning' },
});
const oneDatabase = { ...request, databases: [DB] };

const check = (req = request) => invoke(checkDatabases, { request: req }, clients);

const dbUrl = (id: string) =>
  `https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1#database:id=${id}`;

const instance = (id: string, more: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: id,
  DBInstanceStatus: 'available',
  AvailabilityZone: 'us-east-1a',
  MultiAZ: false,
  ...more,
});

/** RDS answers DescribeDBInstances of the identifier with the instance. */
function givenInstance(id: string, more: Partial<DBInstance> = {}) {
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id }).resolves({
    DBInstances: [instance(id, more)],
  });
}

/** The statuses RDS leaves by itself: each a warning. */
const TRANSITIONAL = [
  'backing-up',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'creating',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'storage-config-upgrade',
  'storage-initialization',
  'storage-optimization',
  'upgrading',
];

/** The statuses a person must act on (or that RDS ends in a state a person must act on): each a failure. */
const TERMINAL = [
  'stopped',
  'stopping',
  'failed',
  'storage-full',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
  'insufficient-capacity',
  'restore-error',
  'delete-precheck',
  'deleting',
  // RDS writes its statuses in lower case: any other spelling is not one it moves on from
  'Available',
  'BACKING-UP',
  'exploded',
];

describe('check-databases', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('describes each database by its identifier, once, and passes an available one', async () => {
    // Given one instance available in one zone, the other Multi-AZ
    givenInstance(DB);
    givenInstance(REPORTS, { AvailabilityZone: 'us-east-1b', MultiAZ: true });

    // When
    const result = await check();

    // Then each instance was asked for on its own, by its identifier, in the request's order
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBInstanceIdentifier: DB },
      { DBInstanceIdentifier: REPORTS },
    ]);
    // And each is a finding with where it runs, and its console page
    expect(result).toStrictEqual({
      check: 'databases',
      findings: [
        {
          check: 'databases',
          target: DB,
          expected: 'available',
          actual: 'available in us-east-1a',
          verdict: 'pass',
          follow: dbUrl(DB),
        },
        {
          check: 'databases',
          target: REPORTS,
          expected: 'available',
          actual: 'available in us-east-1b (Multi-AZ)',
          verdict: 'pass',
          follow: dbUrl(REPORTS),
        },
      ],
    });
    expect(checkDatabases.summarize?.(result)).toBe('databases: 2 pass, 0 warn, 0 fail');
  });

  it('asks for exactly the one instance of a one-database environment', async () => {
    // Given
    givenInstance(DB);

    // When
    await check(oneDatabase);

    // Then
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: DB,
    });
  });

  it.each(TRANSITIONAL)('warns of an instance that is %s: RDS moves on from it by itself', async (status) => {
    // Given
    givenInstance(DB, { DBInstanceStatus: status });

    // When
    const result = await check(oneDatabase);

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'databases',
        target: DB,
        expected: 'available',
        actual: `${status} in us-east-1a`,
        verdict: 'warn',
        follow: dbUrl(DB),
      },
    ]);
    expect(checkDatabases.summarize?.(result)).toBe('databases: 0 pass, 1 warn, 0 fail');
  });

  it.each(TERMINAL)('fails an instance that is %s', async (status) => {
    // Given
    givenInstance(DB, { DBInstanceStatus: status, MultiAZ: true });

    // When
    const result = await check(oneDatabase);

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'databases',
        target: DB,
        expected: 'available',
        actual: `${status} in us-east-1a (Multi-AZ)`,
        verdict: 'fail',
        follow: dbUrl(DB),
      },
    ]);
    expect(checkDatabases.summarize?.(result)).toBe('databases: 0 pass, 0 warn, 1 fail');
  });

  it('judges each instance on its own: one of each verdict', async () => {
    // Given
    givenInstance(DB, { DBInstanceStatus: 'backing-up' });
    givenInstance(REPORTS, { DBInstanceStatus: 'storage-full' });
    givenInstance('enterprise-prod-audit');

    // When
    const result = await check({ ...request, databases: [DB, REPORTS, 'enterprise-prod-audit'] });

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [DB, 'warn', 'backing-up in us-east-1a'],
      [REPORTS, 'fail', 'storage-full in us-east-1a'],
      ['enterprise-prod-audit', 'pass', 'available in us-east-1a'],
    ]);
    expect(checkDatabases.summarize?.(result)).toBe('databases: 1 pass, 1 warn, 1 fail');
  });

  it('fails an instance RDS knows no instance of, and checks the others', async () => {
    // Given RDS knows no instance of the first name
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB })
      .rejects(awsError('DBInstanceNotFoundFault', `DBInstance ${DB} not found.`));
    givenInstance(REPORTS);

    // When
    const result = await check();

    // Then both were asked for
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBInstanceIdentifier: DB },
      { DBInstanceIdentifier: REPORTS },
    ]);
    // And the unknown one fails, with its console page still
    expect(result.findings).toStrictEqual([
      {
        check: 'databases',
        target: DB,
        expected: 'available',
        actual: 'RDS knows no instance of this name',
        verdict: 'fail',
        follow: dbUrl(DB),
      },
      {
        check: 'databases',
        target: REPORTS,
        expected: 'available',
        actual: 'available in us-east-1a',
        verdict: 'pass',
        follow: dbUrl(REPORTS),
      },
    ]);
    expect(checkDatabases.summarize?.(result)).toBe('databases: 1 pass, 0 warn, 1 fail');
  });

  it('fails the same when RDS answers without an instance', async () => {
    // Given
    rdsMock.on(DescribeDBInstancesCommand).resolvesOnce({}).resolves({ DBInstances: [] });

    // When
    const result = await check();

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [DB, 'fail', 'RDS knows no instance of this name'],
      [REPORTS, 'fail', 'RDS knows no instance of this name'],
    ]);
  });

  it('fails an instance RDS describes without a status, and says so of one without a zone', async () => {
    // Given
    givenInstance(DB, { DBInstanceStatus: undefined });
    givenInstance(REPORTS, { AvailabilityZone: undefined, MultiAZ: undefined });

    // When
    const result = await check();

    // Then
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual])).toEqual([
      [DB, 'fail', 'unknown in us-east-1a'],
      [REPORTS, 'pass', 'available in '],
    ]);
  });

  it('shows text from RDS harmlessly, and cuts it short', async () => {
    // Given a status with an ESC sequence and a forged line, and a zone of 300 characters
    givenInstance(DB, { DBInstanceStatus: '\u001b[2J\navailable' });
    givenInstance(REPORTS, { AvailabilityZone: `us-east-1a\r\n${'x'.repeat(300)}` });

    // When
    const result = await check();

    // Then the status is not 'available', so the instance fails, and neither text acts
    expect(result.findings[0]).toMatchObject({
      verdict: 'fail',
      actual: '\\x1b[2J\\navailable in us-east-1a',
    });
    const zone = `us-east-1a\\r\\n${'x'.repeat(300)}`.slice(0, 199);
    expect(result.findings[1]).toMatchObject({ verdict: 'pass', actual: `available in ${zone}…` });
  });

  it('surfaces throttling as TransientAwsError naming the call', async () => {
    // Given
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());

    // When / Then
    await expect(check()).rejects.toThrow(TransientAwsError);
    await expect(check()).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS DescribeDBInstances: ThrottlingException: Rate exceeded',
    });
  });

  it('lets any other error through as it is, checking no further instance', async () => {
    // Given the first instance read, and the second denied
    givenInstance(DB);
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPORTS })
      .rejects(awsError('AccessDenied', 'not allowed'));

    // When / Then
    await expect(
      check({ ...request, databases: [DB, REPORTS, 'enterprise-prod-audit'] }),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'not allowed',
    });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBInstanceIdentifier: DB },
      { DBInstanceIdentifier: REPORTS },
    ]);
  });

  it('finds nothing and calls nothing for an environment without a database', async () => {
    // Given / When
    const result = await check({ ...request, databases: [] });

    // Then
    expect(result).toStrictEqual({ check: 'databases', findings: [] });
    expect(rdsMock).not.toHaveReceivedAnyCommand();
    expect(checkDatabases.summarize?.(result)).toBe('databases: 0 pass, 0 warn, 0 fail');
  });

  it('refuses a request that is not a health-check request, calling nothing', async () => {
    // Given
    const invalid = { request: { ...request, procedure: 'production-deployment' } };

    // When
    const checked = invoke(checkDatabases, invalid, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('check-databases: request.procedure: '),
    });
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted exactly the one RDS read it makes', () => {
    // Given / When / Then
    expect(checkDatabases.name).toBe('check-databases');
    expect(checkDatabases.actions).toEqual(['rds:DescribeDBInstances']);
    expect(checkDatabases.everyResource).toBeUndefined();
  });
});
