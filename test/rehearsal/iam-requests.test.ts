// What the rehearsal authorizes for each simulated call: the action, the resource ARNs in the Service
// Authorization Reference's formats, the condition keys the call carries, and what AWS checks besides.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CallEnv,
  DEPENDENT,
  integrationNeeds,
  loadIamFacts,
  needsOf,
  requestsOf,
} from '../../rehearsal/iam/requests.ts';

const env: CallEnv = {
  region: 'us-east-1',
  account: '123456789012',
  nextRevision: (family) => (family === 'prod-app' ? 43 : 1),
  topicKey: (topic) =>
    topic.endsWith(':Encrypted') ? 'arn:aws:kms:us-east-1:123456789012:key/k-1' : undefined,
  taskDefinitionRoles: (td) =>
    td.endsWith('prod-app:42') ? ['arn:aws:iam::123456789012:role/app-task'] : [],
  snapshotTags: (id): Record<string, string> =>
    id === 'pre-deploy-app-1' ? { 'runbook:purpose': 'pre-deploy' } : {},
  scalableTargetId: (resourceId) => `id-of-${resourceId.replaceAll('/', '-')}`,
};
const of = (service: string, command: string, input: Record<string, unknown>) =>
  requestsOf(needsOf(service, command, input, env), env);

beforeAll(async () => {
  await loadIamFacts();
});

describe('what IAM authorizes for a call', () => {
  it('names the table of a DynamoDB call', () => {
    expect(of('dynamodb', 'UpdateItem', { TableName: 'RunState' })).toEqual([
      {
        action: 'dynamodb:UpdateItem',
        resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/RunState',
        context: {},
      },
    ]);
  });

  it('names each ECS service described, with its cluster as ecs:cluster', () => {
    expect(
      of('ecs', 'DescribeServices', {
        cluster: 'prod',
        services: ['app', 'arn:aws:ecs:us-east-1:123456789012:service/prod/web'],
      }),
    ).toEqual([
      {
        action: 'ecs:DescribeServices',
        resource: 'arn:aws:ecs:us-east-1:123456789012:service/prod/app',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
      {
        action: 'ecs:DescribeServices',
        resource: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
    ]);
  });

  it('authorizes ListTasks, which names no container instance, on * only (the pessimistic reading)', () => {
    expect(of('ecs', 'ListTasks', { cluster: 'prod', serviceName: 'app' })).toEqual([
      {
        action: 'ecs:ListTasks',
        resource: '*',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
    ]);
  });

  it('asks, for a task definition registered with roles and tags, to pass each role to ECS tasks and to tag the new revision', () => {
    const requests = of('ecs', 'RegisterTaskDefinition', {
      family: 'prod-app',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/service/ecs-execution',
      tags: [{ key: 'team', value: 'platform' }],
    });
    const revision = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:43';
    expect(requests).toEqual([
      { action: 'ecs:RegisterTaskDefinition', resource: revision, context: {} },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/app-task',
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/service/ecs-execution',
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
      {
        action: 'ecs:TagResource',
        resource: revision,
        context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
      },
    ]);
    expect(of('ecs', 'RegisterTaskDefinition', { family: 'prod-app' })).toHaveLength(1);
  });

  it('names both the instance and the snapshot of CreateDBSnapshot, and asks to tag the snapshot when tags are given', () => {
    expect(
      of('rds', 'CreateDBSnapshot', {
        DBInstanceIdentifier: 'db-1',
        DBSnapshotIdentifier: 'pre-1',
        Tags: [{ Key: 'a', Value: 'b' }],
      }).map((r) => `${r.action} ${r.resource}`),
    ).toEqual([
      'rds:CreateDBSnapshot arn:aws:rds:us-east-1:123456789012:db:db-1',
      'rds:CreateDBSnapshot arn:aws:rds:us-east-1:123456789012:snapshot:pre-1',
      'rds:AddTagsToResource arn:aws:rds:us-east-1:123456789012:snapshot:pre-1',
    ]);
  });

  it('carries a snapshot’s tags as both tag condition keys of DeleteDBSnapshot, and none for an untagged one', () => {
    expect(of('rds', 'DeleteDBSnapshot', { DBSnapshotIdentifier: 'Pre-Deploy-App-1' })).toEqual([
      {
        action: 'rds:DeleteDBSnapshot',
        resource: 'arn:aws:rds:us-east-1:123456789012:snapshot:pre-deploy-app-1',
        context: {
          'rds:snapshot-tag/runbook:purpose': 'pre-deploy',
          'aws:ResourceTag/runbook:purpose': 'pre-deploy',
        },
      },
    ]);
    expect(of('rds', 'DeleteDBSnapshot', { DBSnapshotIdentifier: 'by-hand' })[0]?.context).toEqual({});
  });

  it('names the container instances described, with their cluster as ecs:cluster', () => {
    expect(
      of('ecs', 'DescribeContainerInstances', {
        cluster: 'prod',
        containerInstances: ['abc', 'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/def'],
      }),
    ).toEqual([
      {
        action: 'ecs:DescribeContainerInstances',
        resource: 'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/abc',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
      {
        action: 'ecs:DescribeContainerInstances',
        resource: 'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/def',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
    ]);
  });

  it('asks for the key of an encrypted topic to publish to it', () => {
    expect(
      of('sns', 'Publish', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:Encrypted' }).map(
        (r) => `${r.action} ${r.resource}`,
      ),
    ).toEqual([
      'sns:Publish arn:aws:sns:us-east-1:123456789012:Encrypted',
      'kms:GenerateDataKey arn:aws:kms:us-east-1:123456789012:key/k-1',
      'kms:Decrypt arn:aws:kms:us-east-1:123456789012:key/k-1',
    ]);
    expect(of('sns', 'Publish', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:Plain' })).toHaveLength(1);
  });

  it('names each alarm described, or every alarm (alarm:*) for a listing by prefix or state', () => {
    expect(of('cloudwatch', 'DescribeAlarms', { AlarmNames: ['a', 'b'] }).map((r) => r.resource)).toEqual([
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a',
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:b',
    ]);
    for (const listing of [{ AlarmNamePrefix: 'a' }, { StateValue: 'ALARM' }])
      expect(of('cloudwatch', 'DescribeAlarms', listing).map((r) => r.resource)).toEqual([
        'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*',
      ]);
  });

  it('authorizes the health check’s reads: EC2 in the region, ELB on *, a log group by name', () => {
    expect(of('ec2', 'DescribeVpcs', {})).toEqual([
      expect.objectContaining({
        action: 'ec2:DescribeVpcs',
        resource: '*',
        context: { 'ec2:Region': 'us-east-1' },
      }),
    ]);
    expect(of('ec2', 'DescribeNatGateways', {})).toEqual([
      expect.objectContaining({
        action: 'ec2:DescribeNatGateways',
        resource: '*',
        context: { 'ec2:Region': 'us-east-1' },
      }),
    ]);
    for (const command of ['DescribeTargetGroups', 'DescribeLoadBalancers'])
      expect(of('elb', command, {}).map((r) => [r.action, r.resource])).toEqual([
        [`elasticloadbalancing:${command}`, '*'],
      ]);
    expect(of('logs', 'FilterLogEvents', { logGroupName: '/aws/app' }).map((r) => r.resource)).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/app',
    ]);
  });

  it('authorizes a state machine’s integrations: the function it invokes, the machine it starts and the execution it follows', () => {
    expect(
      requestsOf(integrationNeeds.invoke('arn:aws:lambda:us-east-1:123456789012:function:Fn1'), env),
    ).toEqual([
      {
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:us-east-1:123456789012:function:Fn1',
        context: {},
      },
    ]);
    expect(
      requestsOf(
        integrationNeeds.startNested('arn:aws:states:us-east-1:123456789012:stateMachine:runbook-rollback'),
        env,
      ).map((r) => `${r.action} ${r.resource}`),
    ).toEqual([
      'states:StartExecution arn:aws:states:us-east-1:123456789012:stateMachine:runbook-rollback',
      'events:PutTargets arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      'events:PutRule arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      'events:DescribeRule arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
    ]);
    expect(
      requestsOf(
        integrationNeeds.followNested(
          'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1',
        ),
        env,
      ),
    ).toEqual([
      {
        action: 'states:DescribeExecution',
        resource: 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1',
        context: {},
      },
    ]);
  });

  it('asks only actions of its own or those AWS checks besides (DEPENDENT)', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['ecs', 'RegisterTaskDefinition', { family: 'f', taskRoleArn: 'arn:aws:iam::1:role/r', tags: [{}] }],
      ['rds', 'CreateDBSnapshot', { DBInstanceIdentifier: 'd', DBSnapshotIdentifier: 's', Tags: [{}] }],
    ];
    for (const [service, command, input] of cases) {
      const own = of(service, command, input)[0]?.action ?? '';
      const besides = of(service, command, input)
        .map((r) => r.action)
        .filter((a) => a !== own);
      expect(new Set(besides)).toEqual(new Set(DEPENDENT[own]));
    }
  });

  it('asks, for a service pointed at a revision, to pass that revision’s roles, with the service’s cluster as ecs:cluster', () => {
    expect(
      of('ecs', 'UpdateService', { cluster: 'prod', service: 'app', taskDefinition: 'prod-app:42' }),
    ).toEqual([
      {
        action: 'ecs:UpdateService',
        resource: 'arn:aws:ecs:us-east-1:123456789012:service/prod/app',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/app-task',
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ]);
    expect(of('ecs', 'UpdateService', { cluster: 'prod', service: 'app', desiredCount: 0 })).toHaveLength(1);
  });

  it('takes resources named by ARN as given: another account’s role, another cluster’s service', () => {
    expect(
      of('ecs', 'RegisterTaskDefinition', { family: 'f', taskRoleArn: 'arn:aws:iam::999999999999:role/r' })[1]
        ?.resource,
    ).toBe('arn:aws:iam::999999999999:role/r');
    expect(
      of('ecs', 'DescribeServices', {
        cluster: 'prod',
        services: ['arn:aws:ecs:us-east-1:123456789012:service/dev/app'],
      })[0]?.resource,
    ).toBe('arn:aws:ecs:us-east-1:123456789012:service/dev/app');
    expect(
      of('ecs', 'DescribeTasks', {
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        tasks: ['t-1'],
      })[0],
    ).toEqual({
      action: 'ecs:DescribeTasks',
      resource: 'arn:aws:ecs:us-east-1:123456789012:task/prod/t-1',
      context: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod' },
    });
  });

  it('names RDS resources in lower case, as RDS authorizes them', () => {
    expect(of('rds', 'DescribeDBSnapshots', { DBSnapshotIdentifier: 'Pre-Deploy-1' })[0]?.resource).toBe(
      'arn:aws:rds:us-east-1:123456789012:snapshot:pre-deploy-1',
    );
    expect(of('rds', 'DescribeDBSnapshots', { DBInstanceIdentifier: 'Prod-DB' })[0]?.resource).toBe(
      'arn:aws:rds:us-east-1:123456789012:db:prod-db',
    );
  });

  it('names the index of a Scan of one, and the execution of a DescribeExecution', () => {
    expect(of('dynamodb', 'Scan', { TableName: 'T', IndexName: 'byStatus' })[0]?.resource).toBe(
      'arn:aws:dynamodb:us-east-1:123456789012:table/T/index/byStatus',
    );
    expect(
      of('sfn', 'DescribeExecution', {
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1',
      })[0]?.resource,
    ).toBe('arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1');
    for (const [service, command] of [
      ['sfn', 'SendTaskSuccess'],
      ['sfn', 'SendTaskFailure'],
      ['cloudtrail', 'LookupEvents'],
      ['elb', 'DescribeTargetHealth'],
      ['ecs', 'DescribeTaskDefinition'],
    ] as const)
      expect(of(service, command, {}).map((r) => r.resource)).toEqual(['*']);
  });

  it('refuses a call that names nothing to authorize', () => {
    expect(() => of('ecs', 'DescribeServices', { cluster: 'prod', services: [] })).toThrow(
      'ecs:DescribeServices names no resource to authorize',
    );
  });

  it('refuses loudly what it does not know, rather than allow it', () => {
    expect(() => needsOf('ecs', 'DeleteService', {}, env)).toThrow(
      'the rehearsal does not know what IAM authorizes for ecs:DeleteService',
    );
    expect(() => requestsOf([{ action: 'ecs:LaunchRockets', on: '*' }], env)).toThrow(
      'no Service Authorization Reference facts of ecs:LaunchRockets',
    );
    expect(() =>
      requestsOf([{ action: 'ecs:UpdateService', on: { cluster: { ClusterName: 'c' } } }], env),
    ).toThrow('ecs:UpdateService has no resource type cluster');
    expect(() => requestsOf([{ action: 'ecs:UpdateService', on: '*' }], env)).toThrow(
      'ecs:UpdateService has resource types',
    );
    expect(() =>
      requestsOf(
        [{ action: 'dynamodb:GetItem', on: { table: { TableName: 't' } }, context: { 'ecs:cluster': 'x' } }],
        env,
      ),
    ).toThrow('dynamodb:GetItem carries no condition key ecs:cluster');
    expect(() => requestsOf([{ action: 'dynamodb:GetItem', on: { table: {} } }], env)).toThrow(
      /no value for \$\{TableName\}/,
    );
  });
});
