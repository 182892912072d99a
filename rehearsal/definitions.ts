// The state machine definitions exactly as CDK synthesizes them for AWS, turned into plain ASL: each
// CloudFormation intrinsic in DefinitionString is replaced by a valid ARN or name, so the local
// engine runs the same definition AWS runs. Also: which Lambda ARN is which worker, and which role
// each worker and state machine acts as, with its synthesized policies (the rehearsal authorizes every
// call against them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../infra/build-app.ts';
import type { Config } from '../infra/config.ts';
import { machinePrefixOf } from '../statemachines/procedure.ts';
import type { Worker } from '../tasks/worker.ts';
import { checkStatement, type Statement } from './iam/policy.ts';

// biome-ignore lint/suspicious/noExplicitAny: ASL is open-ended JSON.
export type Asl = { StartAt: string; States: Record<string, any>; TimeoutSeconds?: number; Comment?: string };

/** A role the stack makes, as the rehearsal authorizes its calls: its session ARN and its policies. */
export interface Principal {
  readonly arn: string;
  readonly statements: readonly Statement[];
}

export interface Definitions {
  /** By procedure name (the state machine's name without runbook-). */
  readonly machines: Record<string, { readonly arn: string; readonly name: string; readonly asl: Asl }>;
  /** Worker by Lambda function ARN, as the definitions reference them. */
  readonly functions: Record<string, Worker>;
  readonly table: string;
  readonly topicArn: string;
  /** The role each worker (by name) acts as, with the policies synthesized for it. */
  readonly workerRoles: Record<string, Principal>;
  /** The role each state machine (by procedure name) acts as. */
  readonly machineRoles: Record<string, Principal>;
  /** The KMS key ARN of each encrypted topic, by topic ARN. */
  readonly topicKeys: Record<string, string>;
  /** The memory each worker function is given (the largest, if they differ), in MB. */
  readonly workerMemoryMb: number;
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

/** What AWS's managed policies attached here grant (AWSLambdaBasicExecutionRole: the function's own logs). */
const MANAGED: Record<string, Statement[]> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: '*',
    },
  ],
  'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs': [
    {
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:GetLogEvents',
        'logs:FilterLogEvents',
      ],
      Resource: '*',
    },
  ],
};

export function synthesizeDefinitions(config: Config): Definitions {
  const outdir = mkdtempSync(join(tmpdir(), 'runbook-synth-'));
  try {
    // Only the definitions are read: no bundling, and the compliance checks are left to cdk synth and the tests.
    const { app, stack } = buildApp(config, { outdir, bundle: false, validate: false });
    const template = app.synth().getStackByName(stack.stackName).template as Template;
    return definitionsFromTemplate(template, config, stack.workers.workers);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The value a CloudFormation intrinsic stands for in the rehearsal's account: the pseudo
 * parameters, Fn::Join, Fn::Select, Fn::Split, and the Ref or Arn of the resource types this stack
 * references. Anything else is refused loudly.
 */
function resolver(resources: Template['Resources'], config: Config) {
  const { region, account } = config;
  const machineName = (id: string) => String(resources[id]?.Properties?.StateMachineName ?? id);
  const resolve = (part: unknown): string | string[] => {
    if (typeof part === 'string') return part;
    const p = part as Record<string, unknown>;
    if ('Fn::Join' in p) {
      const [separator, parts] = p['Fn::Join'] as [string, unknown[]];
      return parts.map((x) => String(resolve(x))).join(separator);
    }
    if ('Fn::Split' in p) {
      const [separator, value] = p['Fn::Split'] as [string, unknown];
      return String(resolve(value)).split(separator);
    }
    if ('Fn::Select' in p) {
      const [index, values] = p['Fn::Select'] as [number, unknown];
      const list = resolve(values);
      return (Array.isArray(list) ? list : [list])[index] ?? '';
    }
    const ref = p.Ref as string | undefined;
    const getAtt = p['Fn::GetAtt'] as [string, string] | undefined;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return region;
    if (ref === 'AWS::AccountId') return account;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const id = String(ref ?? getAtt?.[0]);
    const type = resources[id]?.Type;
    if (getAtt && getAtt[1] !== 'Arn')
      throw new Error(`cannot resolve ${JSON.stringify(part)} for the rehearsal`);
    switch (type) {
      case 'AWS::Lambda::Function':
        // Ref is the function's name (named after its logical id here), GetAtt Arn its ARN.
        return getAtt ? `arn:aws:lambda:${region}:${account}:function:${id}` : id;
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        // The simulated table is named after its logical id.
        return getAtt ? `arn:aws:dynamodb:${region}:${account}:table/${id}` : id;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${id}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${machineName(id)}`;
      case 'AWS::KMS::Key':
        // Ref is the key's id, GetAtt Arn its ARN.
        return getAtt ? `arn:aws:kms:${region}:${account}:key/${id}` : id;
      case 'AWS::SQS::Queue':
        // Ref is the queue's URL, GetAtt Arn its ARN.
        return getAtt
          ? `arn:aws:sqs:${region}:${account}:${id}`
          : `https://sqs.${region}.amazonaws.com/${account}/${id}`;
      case 'AWS::IAM::Role':
        return getAtt ? `arn:aws:iam::${account}:role/${id}` : id;
      case 'AWS::S3::Bucket':
        // The simulated bucket is named after its logical id, lowercased as bucket names are.
        return getAtt ? `arn:aws:s3:::${id.toLowerCase()}` : id.toLowerCase();
      default:
        throw new Error(`cannot resolve ${JSON.stringify(part)} for the rehearsal`);
    }
  };
  return { resolve, machineName };
}

export function definitionsFromTemplate(
  template: Template,
  config: Config,
  workers: ReadonlyMap<string, Worker>,
): Definitions {
  const resources = template.Resources;
  const { resolve, machineName } = resolver(resources, config);
  const text = (part: unknown) => String(resolve(part));
  const roleOf = (roleArn: unknown) => text(roleArn).split('/').pop() ?? '';

  // Each role's statements: its policies (AWS::IAM::Policy naming it), inline and managed policies.
  const statements = new Map<string, Statement[]>();
  const add = (role: string, list: readonly unknown[]) =>
    statements.set(role, [
      ...(statements.get(role) ?? []),
      ...list.map((raw) => {
        const s = raw as Record<string, unknown>;
        const resolved = {
          ...s,
          Action: s.Action,
          Resource: resolveList(s.Resource),
          ...(s.Condition !== undefined && { Condition: resolveCondition(s.Condition) }),
        };
        return checkStatement(resolved);
      }),
    ]);
  const resolveList = (value: unknown) => (Array.isArray(value) ? value.map(text) : text(value));
  const resolveCondition = (condition: unknown) =>
    Object.fromEntries(
      Object.entries(condition as Record<string, Record<string, unknown>>).map(([operator, keys]) => [
        operator,
        Object.fromEntries(
          Object.entries(keys).map(([key, v]) => [key, typeof v === 'boolean' ? v : resolveList(v)]),
        ),
      ]),
    );
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    // What the rehearsal does not evaluate is refused, never ignored.
    if (
      [
        'AWS::IAM::ManagedPolicy',
        'AWS::IAM::RolePolicy',
        'AWS::IAM::UserPolicy',
        'AWS::IAM::GroupPolicy',
      ].includes(resource.Type)
    )
      throw new Error(
        `the rehearsal does not evaluate ${resource.Type} (${id}); add it to rehearsal/definitions.ts`,
      );
    if (resource.Type === 'AWS::IAM::Role' && props.PermissionsBoundary !== undefined)
      throw new Error(`the rehearsal does not evaluate the permissions boundary of ${id}`);
    if (resource.Type === 'AWS::IAM::Policy')
      for (const role of (props.Roles as unknown[] | undefined) ?? [])
        add(text(role), (props.PolicyDocument as { Statement: unknown[] }).Statement);
    if (resource.Type === 'AWS::IAM::Role') {
      statements.set(id, statements.get(id) ?? []);
      for (const policy of (props.Policies as { PolicyDocument: { Statement: unknown[] } }[] | undefined) ??
        [])
        add(id, policy.PolicyDocument.Statement);
      for (const managed of (props.ManagedPolicyArns as unknown[] | undefined) ?? []) {
        const known = MANAGED[text(managed)];
        if (!known)
          throw new Error(`the rehearsal does not know what the managed policy ${text(managed)} grants`);
        add(id, known);
      }
    }
  }
  const principal = (role: string, session: string): Principal => ({
    arn: `arn:aws:sts::${config.account}:assumed-role/${role}/${session}`,
    statements: statements.get(role) ?? [],
  });

  const machines: Record<string, { arn: string; name: string; asl: Asl }> = {};
  const functions: Record<string, Worker> = {};
  const workerRoles: Record<string, Principal> = {};
  const machineRoles: Record<string, Principal> = {};
  const topicKeys: Record<string, string> = {};
  let table = '';
  let topicArn = '';
  let workerMemoryMb = 0;
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      const name = machineName(id);
      const prefix = machinePrefixOf(config.stackName);
      const procedure = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      machines[procedure] = {
        arn: text({ Ref: id }),
        name,
        asl: JSON.parse(text(props.DefinitionString)) as Asl,
      };
      machineRoles[procedure] = principal(roleOf(props.RoleArn), name);
    }
    if (resource.Type === 'AWS::Lambda::Function') {
      const path = String(resource.Metadata?.['aws:cdk:path'] ?? '');
      const worker = workers.get(/\/Workers\/([a-z-]+)\/Resource$/.exec(path)?.[1] ?? '');
      if (worker) {
        functions[text({ 'Fn::GetAtt': [id, 'Arn'] })] = worker;
        // Lambda names a function's session after the function.
        workerRoles[worker.name] = principal(roleOf(props.Role), id);
        workerMemoryMb = Math.max(workerMemoryMb, Number(props.MemorySize ?? 128));
      }
    }
    if (resource.Type === 'AWS::DynamoDB::GlobalTable') table = id;
    if (resource.Type === 'AWS::SNS::Topic') {
      topicArn = text({ Ref: id });
      if (props.KmsMasterKeyId !== undefined) topicKeys[topicArn] = text(props.KmsMasterKeyId);
    }
  }
  return { machines, functions, table, topicArn, workerRoles, machineRoles, topicKeys, workerMemoryMb };
}
