// The synthesized stack as CloudFormation sees it: state machines, alarms, workers, topic, table,
// least-privilege IAM, cdk-nag (with a negative control), and the config file's validation.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.ts';
import {
  type Config,
  ConfigError,
  catalogueOf,
  DEFAULT_CONFIG_PATH,
  loadConfig,
  parseConfig,
} from '../../infra/config.ts';
import { stateMachineName } from '../../statemachines/procedure.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties?: Json; Metadata?: Json; DeletionPolicy?: string };
type Statement = {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
/** A policy statement with where it came from (the policy's construct path and the roles it is attached to). */
type Owned = { statement: Statement; policy: string; roles: string[] };
type ValidationReport = {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
    suppressedViolations?: unknown[];
  }[];
};

const config = loadConfig();
const outdirs: string[] = [];
const freshOutdir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-infra-test-'));
  outdirs.push(dir);
  return dir;
};

let outdir: string;
let app: App;
let synthError: unknown;
let template: Template | undefined;

beforeAll(() => {
  // Synthesized once for the whole file; app.synth() runs the cdk-nag validation plugin.
  outdir = freshOutdir();
  const built = buildApp(config, { bundle: false, outdir });
  app = built.app;
  try {
    app.synth();
    template = Template.fromStack(built.stack); // the assembly is cached: no second synth
  } catch (error) {
    synthError = error;
  }
});

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function tpl(): Template {
  if (!template) throw new Error(`the stack did not synthesize: ${String(synthError)}`);
  return template;
}
const resources = (type: string) => tpl().findResources(type) as Record<string, Resource>;
const props = (r: Resource) => r.Properties ?? {};
const cdkPath = (r: Resource) => String(r.Metadata?.['aws:cdk:path'] ?? '');
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** The one resource of a type (of those whose logical id starts with `prefix`, if given). */
const onlyId = (type: string, prefix = ''): string => {
  const ids = Object.keys(resources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `exactly one ${type}${prefix && ` named ${prefix}*`}`).toHaveLength(1);
  return ids[0] as string;
};

/** A CloudFormation value as a string: pseudo parameters resolved, other references as ${LogicalId}. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = (value ?? {}) as Json;
  if (typeof o.Ref === 'string') {
    if (o.Ref === 'AWS::Partition') return 'aws';
    if (o.Ref === 'AWS::Region') return config.region;
    if (o.Ref === 'AWS::AccountId') return config.account;
    return `\${${o.Ref}}`;
  }
  if (Array.isArray(o['Fn::GetAtt'])) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  return JSON.stringify(value);
}

/** Whether an IAM action pattern (with * and ? wildcards) covers the action. */
function covers(pattern: string, action: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(action);
}

/** Every statement of every identity-based policy: AWS::IAM::Policy, ManagedPolicy and inline role policies. */
function identityStatements(): Owned[] {
  const roleNameOf = (ref: unknown) => {
    const id = (ref as { Ref?: string }).Ref ?? '';
    return cdkPath(resources('AWS::IAM::Role')[id] ?? { Type: '' }) || id;
  };
  const out: Owned[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of Object.entries(resources(type))) {
      const doc = props(r).PolicyDocument as { Statement: Statement[] };
      const roles = asArray(props(r).Roles as unknown[]).map(roleNameOf);
      for (const statement of doc.Statement) out.push({ statement, policy: cdkPath(r) || id, roles });
    }
  }
  for (const [id, r] of Object.entries(resources('AWS::IAM::Role'))) {
    for (const inline of asArray(props(r).Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
      for (const statement of inline.PolicyDocument.Statement) {
        out.push({ statement, policy: `${cdkPath(r) || id} (inline)`, roles: [cdkPath(r) || id] });
      }
    }
  }
  return out;
}

const allowsAction = ({ statement }: Owned, action: string) =>
  statement.Effect === 'Allow' && asArray(statement.Action).some((pattern) => covers(pattern, action));

/** Each worker allowed `action`, with the resources (and conditions) it is allowed it on. */
const grants = (action: string) =>
  identityStatements()
    .filter((s) => allowsAction(s, action))
    .map((s) => ({
      worker: s.roles.map((r) => r.replace(/^Runbook\/Workers\/(.*)\/ServiceRole\/Resource$/, '$1')).join(),
      resources: asArray(s.statement.Resource).map(render).sort(),
      condition: s.statement.Condition ?? null,
    }));

/** The logical id of the state machine of that name. */
const machineIdOf = (name: string) =>
  Object.entries(resources('AWS::StepFunctions::StateMachine')).find(
    ([, r]) => props(r).StateMachineName === name,
  )?.[0];

/** The EventBridge Scheduler schedules that start the machine of that logical id. */
const schedulesOf = (machineId: string | undefined) =>
  Object.values(resources('AWS::Scheduler::Schedule')).filter(
    (r) => render((props(r).Target as Json).Arn) === `\${${machineId}}`,
  );

function readReport(dir: string): ValidationReport {
  const file = join(dir, 'validation-report.json');
  expect(existsSync(file), `${file} written by the synth`).toBe(true);
  return JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
}

describe('state machines', () => {
  it.each(PROCEDURES.map((p) => stateMachineName(p)))(
    '%s is a STANDARD machine logging ALL with execution data, traced',
    (name) => {
      // Given the synthesized template
      const machines = Object.values(resources('AWS::StepFunctions::StateMachine'));
      // When the state machine with this name is looked up
      const found = machines.filter((m) => props(m).StateMachineName === name);
      // Then it exists once, is STANDARD, logs at level ALL with execution data, and is traced by X-Ray
      expect(machines).toHaveLength(PROCEDURES.length);
      expect(found).toHaveLength(1);
      const p = props(found[0] as Resource);
      expect(p.StateMachineType).toBe('STANDARD');
      expect(p.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      expect(asArray((p.LoggingConfiguration as Json).Destinations as unknown[])).toHaveLength(1);
      expect(p.TracingConfiguration).toEqual({ Enabled: true });
    },
  );

  it('each machine has a failed, a timed-out and an aborted alarm that notifies the topic', () => {
    // Given the machines, their alarms and the notifications topic
    const topicId = onlyId('AWS::SNS::Topic');
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm'));
    const machineIds = Object.keys(resources('AWS::StepFunctions::StateMachine'));
    expect(machineIds).toHaveLength(PROCEDURES.length);
    for (const machineId of machineIds) {
      // When the alarms on this machine's ARN are collected
      const mine = alarms.filter((a) =>
        asArray(props(a).Dimensions as { Name: string; Value: unknown }[]).some(
          (d) => d.Name === 'StateMachineArn' && render(d.Value) === `\${${machineId}}`,
        ),
      );
      // Then there are exactly three: ExecutionsFailed, ExecutionsTimedOut, ExecutionsAborted,
      // each firing on a single execution and publishing to the topic
      expect(mine.map((a) => props(a).MetricName).sort(), machineId).toEqual([
        'ExecutionsAborted',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
      ]);
      for (const alarm of mine) {
        expect(props(alarm)).toMatchObject({
          Namespace: 'AWS/States',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
        expect(props(alarm).AlarmActions).toEqual([{ Ref: topicId }]);
      }
    }
    // (and three more: on the abandoned-run rule's dead-letter queue, and the archive's two)
    expect(alarms).toHaveLength(3 * PROCEDURES.length + 3);
  });
});

describe('abandoned runs', () => {
  it('what the rule or its function could not handle lands in one encrypted queue, which alarms on the topic', () => {
    // Given the queue, the rule's target, the function's async invoke config and the alarms
    const queueId =
      Object.keys(resources('AWS::SQS::Queue')).find((id) => id.startsWith('AbandonedRunsUnhandled')) ?? '';
    const queue = props(resources('AWS::SQS::Queue')[queueId] as Resource);
    const rule = Object.values(resources('AWS::Events::Rule')).find((r) =>
      (JSON.stringify(props(r).EventPattern) ?? '').includes('TIMED_OUT'),
    );
    const target = (props(rule as Resource).Targets as { DeadLetterConfig?: { Arn: unknown } }[])[0];
    const invokeConfigs = Object.values(resources('AWS::Lambda::EventInvokeConfig')).filter((c) =>
      /handleabandonedrun/.test(render(props(c).FunctionName)),
    );
    const alarm = Object.values(resources('AWS::CloudWatch::Alarm')).find((a) =>
      asArray(props(a).Dimensions as { Name: string; Value: unknown }[]).some(
        (d) => d.Name === 'QueueName' && render(d.Value) === `\${${queueId}.QueueName}`,
      ),
    );
    // Then: encrypted, kept 14 days, the rule's dead letters and the function's failures, and seen
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
    expect(render(target?.DeadLetterConfig?.Arn)).toBe(`\${${queueId}.Arn}`);
    expect(invokeConfigs).toHaveLength(1);
    expect(props(invokeConfigs[0] as Resource)).toMatchObject({ MaximumRetryAttempts: 2 });
    expect(
      render(
        (props(invokeConfigs[0] as Resource).DestinationConfig as { OnFailure: { Destination: unknown } })
          .OnFailure.Destination,
      ),
    ).toBe(`\${${queueId}.Arn}`);
    expect(props(alarm as Resource)).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(props(alarm as Resource).AlarmActions).toEqual([{ Ref: onlyId('AWS::SNS::Topic') }]);
  });

  it('a run of either machine that TIMED_OUT, was ABORTED or FAILED goes to handle-abandoned-run with the table and topic', () => {
    // Given the EventBridge rules of the stack
    const rules = Object.values(resources('AWS::Events::Rule'));
    const machineIds = Object.keys(resources('AWS::StepFunctions::StateMachine'));
    // When the one for abandoned runs is found
    const rule = rules.find((r) => (JSON.stringify(props(r).EventPattern) ?? '').includes('TIMED_OUT'));
    expect(rule).toBeDefined();
    const pattern = props(rule as never).EventPattern as {
      source: string[];
      detail: { status: string[]; stateMachineArn: unknown[] };
    };
    // Then it matches both machines' TIMED_OUT, ABORTED and FAILED executions only
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern.detail.status.sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(pattern.detail.stateMachineArn.map(render).sort()).toEqual(
      machineIds.map((id) => `\${${id}}`).sort(),
    );
    // And its target is the worker, with the execution passed through
    const targets = props(rule as never).Targets as {
      Arn: unknown;
      InputTransformer?: { InputPathsMap: Record<string, string> };
    }[];
    expect(targets).toHaveLength(1);
    expect(render(targets[0]?.Arn)).toMatch(/Workershandleabandonedrun/);
    expect(Object.values(targets[0]?.InputTransformer?.InputPathsMap ?? {}).sort()).toEqual([
      '$.detail.executionArn',
      '$.detail.stateMachineArn',
      '$.detail.status',
    ]);
  });
});

/** What every bucket of the stack is in the template: encrypted, versioned, every public access blocked. */
const PRIVATE_BUCKET = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  VersioningConfiguration: { Status: 'Enabled' },
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

describe('the run archive', () => {
  const bucket = () => {
    const id = onlyId('AWS::S3::Bucket', 'RunArchive');
    return { id, props: props(resources('AWS::S3::Bucket')[id] as Resource) };
  };

  it('is encrypted, versioned, private, TLS only, kept 400 days, never deleted with the stack', () => {
    const { id, props: p } = bucket();
    expect(p).toMatchObject({
      ...PRIVATE_BUCKET,
      LifecycleConfiguration: {
        Rules: [
          expect.objectContaining({
            Prefix: 'runs/',
            ExpirationInDays: 400,
            NoncurrentVersionExpiration: { NoncurrentDays: 400 },
            Status: 'Enabled',
          }),
        ],
      },
    });
    expect(p.ObjectLockEnabled).toBeUndefined();
    expect((resources('AWS::S3::Bucket')[id] as Resource & { DeletionPolicy?: string }).DeletionPolicy).toBe(
      'Retain',
    );
    const policy = Object.values(resources('AWS::S3::BucketPolicy'))[0] as Resource;
    expect(JSON.stringify(props(policy).PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('writes each ended run of every machine, and sweeps hourly for the missed, within the 90 days', () => {
    const rules = Object.values(resources('AWS::Events::Rule'));
    const ended = rules.find((r) => JSON.stringify(props(r).Targets).includes('archiverun')) as Resource;
    expect((props(ended).EventPattern as { detail: { status: string[] } }).detail.status).toEqual([
      'SUCCEEDED',
      'FAILED',
      'TIMED_OUT',
      'ABORTED',
    ]);
    const machines = Object.keys(resources('AWS::StepFunctions::StateMachine')).map((id) => `\${${id}}`);
    expect(
      (props(ended).EventPattern as { detail: { stateMachineArn: unknown[] } }).detail.stateMachineArn
        .map(render)
        .sort(),
    ).toEqual(machines.sort());
    const sweep = rules.find((r) => JSON.stringify(props(r).Targets).includes('sweeparchive')) as Resource;
    expect(props(sweep).ScheduleExpression).toBe('rate(1 hour)');
    const input = render((props(sweep).Targets as { Input: unknown }[])[0]?.Input);
    expect(input).toContain('"sinceDays":80');
    expect(input).toContain('"machinePrefix":"runbook-"');
    // Both with a dead-letter queue, retried, and the queue alarms on the topic
    for (const rule of [ended, sweep])
      expect(
        (props(rule).Targets as { DeadLetterConfig?: unknown; RetryPolicy?: unknown }[])[0],
      ).toMatchObject({
        DeadLetterConfig: expect.anything(),
        RetryPolicy: { MaximumRetryAttempts: 8 },
      });
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).filter((a) =>
      /archive/i.test(String(props(a).AlarmDescription)),
    );
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms)
      expect(props(alarm).AlarmActions).toEqual([{ Ref: onlyId('AWS::SNS::Topic') }]);
  });

  it("lets only the archive's functions write it, under runs/ only, and list only that prefix", () => {
    const { id } = bucket();
    // (the export role writes the export bucket only: see database exports)
    const writes = identityStatements().filter(
      (s) => allowsAction(s, 's3:PutObject') && !s.roles.some((r) => r.includes('DatabaseExports')),
    );
    expect(writes.flatMap((w) => w.roles).sort()).toEqual([
      'Runbook/Workers/archive-run/ServiceRole/Resource',
      'Runbook/Workers/sweep-archive/ServiceRole/Resource',
    ]);
    for (const w of writes)
      expect(asArray(w.statement.Resource).map(render)).toEqual([`\${${id}.Arn}/runs/*`]);
    const lists = identityStatements().filter(
      (s) => allowsAction(s, 's3:ListBucket') && !s.roles.some((r) => r.includes('DatabaseExports')),
    );
    for (const l of lists) {
      expect(asArray(l.statement.Resource).map(render)).toEqual([`\${${id}.Arn}`]);
      expect(l.statement.Condition).toEqual({ StringLike: { 's3:prefix': 'runs/*' } });
    }
  });

  it('takes Object Lock and a longer retention from the config, and refuses a lock longer than the retention', () => {
    const locked = buildApp(
      {
        ...config,
        archive: { retentionDays: 2555, sweepDays: 80, objectLock: { mode: 'COMPLIANCE', days: 2555 } },
      },
      { bundle: false, validate: false },
    );
    const p = Object.values(Template.fromStack(locked.stack).findResources('AWS::S3::Bucket'))[0]?.Properties;
    expect(p).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
    });
    expect(() =>
      parseConfig({
        ...JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')),
        archive: { retentionDays: 400, objectLock: { mode: 'GOVERNANCE', days: 500 } },
      }),
    ).toThrow(/archive\.objectLock\.days/);
    expect(() =>
      parseConfig({
        ...JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')),
        archive: { retentionDays: 30 },
      }),
    ).toThrow(/archive\.retentionDays/);
  });
});

describe('approval reminders', () => {
  it('run every five minutes with the table, the topic and the time of the schedule, and so does the delivery of decisions', () => {
    const rules = Object.values(resources('AWS::Events::Rule')).filter(
      (r) => props(r).ScheduleExpression && !/sweeparchive/.test(JSON.stringify(props(r).Targets)),
    );
    expect(rules.map((r) => props(r).ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const targets = props(rules[0] as Resource).Targets as {
      Arn: unknown;
      Input?: string;
      InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
    }[];
    expect(targets).toHaveLength(2);
    expect(render(targets[0]?.Arn)).toMatch(/Workersremindapprovals/);
    expect(Object.values(targets[0]?.InputTransformer?.InputPathsMap ?? {})).toEqual(['$.time']);
    // The one function that may resume a run sends again what Step Functions did not take.
    expect(render(targets[1]?.Arn)).toMatch(/Workersapprovalapi/);
    expect(Object.values(targets[1]?.InputTransformer?.InputPathsMap ?? {})).toEqual(['$.time']);
    expect(targets[1]?.InputTransformer?.InputTemplate).toMatch(/^\{"redeliver":true,"now":<[^>]+>\}$/);
  });
});

describe('workers', () => {
  it('every Lambda function runs nodejs >= 22, times out within 25 s and is traced', () => {
    // Given every Lambda function in the template
    const functions = Object.entries(resources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      // When its runtime, timeout and tracing are read
      const p = props(fn);
      const major = /^nodejs(\d+)\.x$/.exec(String(p.Runtime))?.[1];
      // Then it is a nodejs runtime of at least 22 (nodejs24.x here), Timeout <= 25 and tracing Active
      expect(major, `${id} runtime ${String(p.Runtime)}`).toBeDefined();
      expect(Number(major), id).toBeGreaterThanOrEqual(22);
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(typeof p.Timeout, id).toBe('number');
      expect(p.Timeout as number, id).toBeLessThanOrEqual(25);
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
    }
  });
});

describe('database exports', () => {
  const bucketId = () => onlyId('AWS::S3::Bucket', 'DatabaseExports');
  const ownStatements = (worker: string) =>
    identityStatements().filter((s) => s.roles.includes(`Runbook/Workers/${worker}/ServiceRole/Resource`));

  it('go to a bucket that is encrypted, versioned, private, TLS only and never deleted with the stack', () => {
    const bucket = resources('AWS::S3::Bucket')[bucketId()] as Resource;
    expect(props(bucket)).toMatchObject({
      ...PRIVATE_BUCKET,
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    const policy = Object.values(resources('AWS::S3::BucketPolicy')).find(
      (p) => render(props(p).Bucket) === `\${${bucketId()}}`,
    );
    expect(JSON.stringify(props(policy as Resource).PolicyDocument)).toContain(
      '"aws:SecureTransport":"false"',
    );
  });

  it('are encrypted with a rotating key of their own', () => {
    const key = resources('AWS::KMS::Key')[onlyId('AWS::KMS::Key', 'DatabaseExports')] as Resource;
    expect(props(key).EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('are written by a role only RDS exports assume, under the configured prefixes only', () => {
    const roleId = onlyId('AWS::IAM::Role', 'DatabaseExportsRole');
    const role = resources('AWS::IAM::Role')[roleId] as Resource;
    expect(JSON.stringify(props(role).AssumeRolePolicyDocument)).toContain(
      '"Service":"export.rds.amazonaws.com"',
    );
    const own = identityStatements().filter((s) => s.roles.some((r) => r.includes('DatabaseExports/Role')));
    const resourcesOf = (action: string) =>
      own.filter((s) => allowsAction(s, action)).flatMap((s) => asArray(s.statement.Resource).map(render));
    expect(resourcesOf('s3:PutObject')).toEqual([`\${${bucketId()}.Arn}/prod/main/*`]);
    expect(resourcesOf('s3:ListBucket')).toEqual([`\${${bucketId()}.Arn}`]);
    expect(own.flatMap((s) => asArray(s.statement.Action)).filter((a) => !a.startsWith('s3:'))).toEqual([]);
  });

  it('are started only on a backup’s own snapshots, with the export key only', () => {
    const own = ownStatements('start-export');
    const on = (action: string) =>
      own.filter((s) => allowsAction(s, action)).flatMap((s) => asArray(s.statement.Resource).map(render));
    expect(on('rds:StartExportTask')).toEqual([
      `arn:aws:rds:${config.region}:${config.account}:snapshot:manual-enterprise-prod-db-*`,
    ]);
    const keyArn = `\${${onlyId('AWS::KMS::Key', 'DatabaseExports')}.Arn}`;
    expect(on('kms:CreateGrant')).toEqual([keyArn]);
    expect(on('kms:DescribeKey')).toEqual([keyArn]);
    // Nothing else may start an export
    const starters = identityStatements().filter((s) => allowsAction(s, 'rds:StartExportTask'));
    expect(starters.flatMap((s) => s.roles)).toEqual(['Runbook/Workers/start-export/ServiceRole/Resource']);
  });

  it('are not made when no database exports', () => {
    const raw = JSON.parse(readFileSync(new URL('../../runbook.config.json', import.meta.url), 'utf8'));
    const { stack } = buildApp(
      parseConfig({
        ...raw,
        environments: {
          ...raw.environments,
          prod: { ...raw.environments.prod, databases: { main: { instance: 'enterprise-prod-db' } } },
        },
      }),
      { bundle: false, validate: false },
    );
    const template = Template.fromStack(stack);
    expect(
      Object.keys(template.findResources('AWS::S3::Bucket')).filter((id) => id.startsWith('DatabaseExports')),
    ).toEqual([]);
  });
});

describe('database procedures', () => {
  const rds = `arn:aws:rds:${config.region}:${config.account}`;

  it('snapshots are made only of the configured instances, under the names the procedures give them', () => {
    expect(grants('rds:CreateDBSnapshot')).toEqual([
      {
        worker: 'create-snapshot',
        resources: [
          `${rds}:db:enterprise-prod-db`,
          `${rds}:snapshot:manual-enterprise-prod-db-*`,
          `${rds}:snapshot:pre-deploy-*`,
          `${rds}:snapshot:pre-maintenance-enterprise-prod-db-*`,
        ].sort(),
        condition: null,
      },
    ]);
  });

  it('no snapshot but a pre-deploy one is ever deleted: a backup or a pre-maintenance snapshot never', () => {
    expect(grants('rds:DeleteDBSnapshot')).toEqual([
      {
        worker: 'prune-snapshots',
        resources: [`${rds}:snapshot:pre-deploy-*`],
        condition: { StringEquals: { 'rds:snapshot-tag/runbook:purpose': 'pre-deploy' } },
      },
    ]);
  });

  it('only the modify worker modifies, the configured instances and the names a restore gives', () => {
    expect(grants('rds:ModifyDBInstance')).toEqual([
      {
        worker: 'modify-instance',
        resources: [
          `${rds}:db:enterprise-prod-db`,
          `${rds}:db:enterprise-prod-db-pre-restore-*`,
          `${rds}:db:enterprise-prod-db-restored-*`,
        ].sort(),
        condition: null,
      },
    ]);
  });

  it("only the upgrade check reads RDS's engine versions (no resource type: *)", () => {
    expect(grants('rds:DescribeDBEngineVersions')).toEqual([
      { worker: 'check-upgrade-target', resources: ['*'], condition: null },
    ]);
  });

  it('a restore makes only <instance>-restored-* instances, never a public one', () => {
    for (const action of ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBInstanceToPointInTime']) {
      const [grant, ...more] = grants(action);
      expect(more).toEqual([]);
      expect(grant?.worker).toBe('restore-instance');
      expect(grant?.resources.filter((r) => r.includes(':db:'))).toEqual(
        expect.arrayContaining([`${rds}:db:enterprise-prod-db-restored-*`]),
      );
      expect(
        grant?.resources.filter((r) => r.includes(':db:') && !r.startsWith(`${rds}:db:enterprise-prod-db`)),
      ).toEqual([]);
      expect(grant?.condition).toEqual({ Bool: { 'rds:PubliclyAccessible': 'false' } });
    }
  });
});

describe('the health check', () => {
  const machineId = () => machineIdOf('runbook-health-check');

  it('runs daily at the configured time in the configured zone, for each environment whose schedule is on', () => {
    const schedules = schedulesOf(machineId()).map(props);
    // Only prod: dev's schedule is null
    expect(schedules).toHaveLength(1);
    const [prod] = schedules;
    expect(prod).toMatchObject({
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    const target = prod?.Target as Json;
    expect(target.Arn).toEqual({ Ref: machineId() });
    expect(JSON.parse(String(target.Input))).toEqual({
      environment: 'prod',
      requestedBy: 'EventBridge Scheduler',
      reason: 'the daily health check at 09:00 America/New_York',
    });
    // A start it could not make lands in the queue that alarms
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 });
    expect(target.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [onlyId('AWS::SQS::Queue', 'AbandonedRunsUnhandled'), 'Arn'] },
    });
  });

  it('reads EC2 in its region only, the configured log groups only, and every alarm only to find those in ALARM', () => {
    expect(grants('ec2:DescribeVpcs')).toEqual([
      {
        worker: 'check-network',
        resources: ['*'],
        condition: { StringEquals: { 'ec2:Region': config.region } },
      },
    ]);
    expect(grants('ec2:DescribeNatGateways')).toEqual(grants('ec2:DescribeVpcs').map((g) => ({ ...g })));
    const group = `arn:aws:logs:${config.region}:${config.account}:log-group:/aws/application/enterprise-prod`;
    expect(grants('logs:FilterLogEvents')).toEqual([
      { worker: 'check-logs', resources: [group, `${group}:*`], condition: null },
      { worker: 'read-errors', resources: [group, `${group}:*`], condition: null },
    ]);
    const alarms = `arn:aws:cloudwatch:${config.region}:${config.account}:alarm`;
    expect(grants('cloudwatch:DescribeAlarms')).toEqual(
      expect.arrayContaining([
        { worker: 'check-firing-alarms', resources: [`${alarms}:*`], condition: null },
      ]),
    );
    // The deployment's alarm check still reads only the alarms it watches
    expect(grants('cloudwatch:DescribeAlarms').find((g) => g.worker === 'check-alarms')?.resources).toEqual(
      [
        `${alarms}:enterprise-dev-app-5xx`,
        `${alarms}:enterprise-prod-app-5xx`,
        `${alarms}:enterprise-prod-app-latency-p99`,
      ].sort(),
    );
    // Nothing of the health check changes anything: each of its readers' roles allows reads only
    const readers = [
      'check-network',
      'check-databases',
      'check-services',
      'check-load-balancers',
      'check-firing-alarms',
      'check-logs',
    ];
    const actionsOf = (worker: string) =>
      identityStatements()
        .filter((s) => s.roles.some((r) => r.includes(`/Workers/${worker}/`)))
        .flatMap((s) => asArray(s.statement.Action));
    for (const worker of readers) expect(actionsOf(worker), worker).not.toEqual([]);
    expect(
      actionsOf('report-health').filter((a) => !/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a)),
    ).toEqual([]);
    for (const worker of [
      'check-network',
      'check-databases',
      'check-services',
      'check-load-balancers',
      'check-firing-alarms',
      'check-logs',
      'report-health',
    ])
      for (const { statement } of identityStatements().filter((s) =>
        s.roles.some((r) => r.includes(`/Workers/${worker}/`)),
      ))
        for (const action of asArray(statement.Action))
          expect(action, `${worker}: ${action}`).toMatch(
            /^(ec2|rds|ecs|elasticloadbalancing|cloudwatch|logs):(Describe|Filter)|^(logs:CreateLogStream|logs:PutLogEvents|xray:)/,
          );
  });
});

describe('schedules', () => {
  it.each(['runbook-health-check', 'runbook-resource-usage'])(
    "the role of %s's schedules may start that machine only, and send what it could not start to the queue",
    (name) => {
      const machineId = machineIdOf(name);
      const schedules = schedulesOf(machineId);
      expect(schedules.length).toBeGreaterThan(0);
      for (const schedule of schedules) {
        const target = props(schedule).Target as { RoleArn?: { 'Fn::GetAtt'?: string[] } };
        const role = resources('AWS::IAM::Role')[target.RoleArn?.['Fn::GetAtt']?.[0] ?? ''];
        expect(JSON.stringify(props(role ?? { Type: '' }).AssumeRolePolicyDocument)).toContain(
          'scheduler.amazonaws.com',
        );
        const statements = identityStatements().filter((s) =>
          s.roles.some((r) => r === cdkPath(role ?? { Type: '' })),
        );
        const queue = `\${${onlyId('AWS::SQS::Queue', 'AbandonedRunsUnhandled')}.Arn}`;
        expect(
          statements
            .map((s) => ({ action: s.statement.Action, resource: asArray(s.statement.Resource).map(render) }))
            .sort((a, b) => String(a.action).localeCompare(String(b.action))),
        ).toEqual([
          { action: 'sqs:SendMessage', resource: [queue] },
          { action: 'states:StartExecution', resource: [`\${${machineId}}`] },
        ]);
      }
    },
  );
});

describe('resource usage', () => {
  const machineId = () => machineIdOf('runbook-resource-usage');

  it('runs every configured number of hours, in UTC, for each environment whose schedule is on', () => {
    const schedules = schedulesOf(machineId()).map(props);
    // Only prod: dev's schedule is null; prod keeps the default of every 4 hours
    expect(schedules).toHaveLength(1);
    const [prod] = schedules;
    expect(prod).toMatchObject({
      ScheduleExpression: 'rate(4 hours)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    const target = prod?.Target as Json;
    expect(JSON.parse(String(target.Input))).toEqual({
      environment: 'prod',
      requestedBy: 'EventBridge Scheduler',
      reason: 'resource usage every 4 hours',
    });
    expect(target.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [onlyId('AWS::SQS::Queue', 'AbandonedRunsUnhandled'), 'Arn'] },
    });
  });

  it('reads metrics (which IAM scopes to no resource) and changes nothing', () => {
    expect(grants('cloudwatch:GetMetricData')).toEqual([
      { worker: 'read-usage', resources: ['*'], condition: null },
      { worker: 'read-traffic', resources: ['*'], condition: null },
    ]);
    const actionsOf = (worker: string) =>
      identityStatements()
        .filter((s) => s.roles.some((r) => r.includes(`/Workers/${worker}/`)))
        .flatMap((s) => asArray(s.statement.Action));
    expect(
      actionsOf('read-usage').filter((a) => !/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a)),
    ).toEqual(['cloudwatch:GetMetricData']);
    expect(
      actionsOf('validate-resource-usage-input').filter(
        (a) => !/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a),
      ),
    ).toEqual([]);
  });
});

describe('incident response', () => {
  const actionsOf = (worker: string) =>
    identityStatements()
      .filter((s) => s.roles.some((r) => r.includes(`/Workers/${worker}/`)))
      .flatMap((s) => asArray(s.statement.Action))
      .filter((a) => !/^(logs:CreateLogStream|logs:PutLogEvents|xray:)/.test(a));

  it('its diagnostics only read: each reader is allowed Describe, List, Lookup, Filter and Get calls only', () => {
    const readers = [
      'read-changes',
      'read-service',
      'read-targets',
      'read-traffic',
      'read-errors',
      'read-database',
    ];
    for (const worker of readers) {
      expect(actionsOf(worker), worker).not.toEqual([]);
      for (const action of actionsOf(worker))
        expect(action, `${worker}: ${action}`).toMatch(/^[a-z-]+:(Describe|List|Lookup|Filter|Get)/);
    }
    expect(actionsOf('report-diagnostics')).toEqual([]);
    expect(actionsOf('validate-incident-input')).toEqual([]);
    // CloudTrail and RDS events have no resource-level permissions; the database is only the configured one
    expect(grants('cloudtrail:LookupEvents').find((g) => g.worker === 'read-changes')).toEqual({
      worker: 'read-changes',
      resources: ['*'],
      condition: null,
    });
    expect(grants('rds:DescribeEvents')).toEqual([
      { worker: 'read-database', resources: ['*'], condition: null },
    ]);
    expect(
      grants('rds:DescribeDBInstances').find((g) => g.worker === 'read-database')?.resources,
    ).not.toContain('*');
  });

  it('only the incident notifier publishes to the topics the config routes incidents to', () => {
    const routed = Object.values(config.environments)
      .flatMap((env) => Object.values(env.incidents ?? {}).flat())
      .filter((arn, i, all) => all.indexOf(arn) === i)
      .sort();
    expect(routed.length).toBeGreaterThan(0);
    const publishers = grants('sns:Publish').filter((g) => g.resources.some((r) => routed.includes(r)));
    expect(publishers).toEqual([{ worker: 'notify-incident', resources: routed, condition: null }]);
  });

  it('its state machine starts only the scale-service machine as a nested run', () => {
    const machineId = machineIdOf('runbook-incident-response');
    const scaleId = machineIdOf('runbook-scale-service');
    const role = props(resources('AWS::StepFunctions::StateMachine')[machineId ?? ''] ?? { Type: '' })
      .RoleArn as {
      'Fn::GetAtt'?: [string, string];
    };
    const roleId = role['Fn::GetAtt']?.[0] ?? '';
    const starts = identityStatements()
      .filter((s) => s.roles.some((r) => r === cdkPath(resources('AWS::IAM::Role')[roleId] ?? { Type: '' })))
      .filter((s) => allowsAction(s, 'states:StartExecution'));
    expect(starts.flatMap((s) => asArray(s.statement.Resource).map(render))).toEqual([`\${${scaleId}}`]);
  });
});

describe('scale service', () => {
  it("reads scalable targets (no resource-level permissions) and sets only an ECS service count's bounds", () => {
    expect(
      grants('application-autoscaling:DescribeScalableTargets')
        .map((g) => g.worker)
        .sort(),
    ).toEqual(['read-autoscaling', 'read-scale-baseline']);
    for (const g of grants('application-autoscaling:DescribeScalableTargets'))
      expect(g).toMatchObject({ resources: ['*'], condition: null });
    const onTarget = {
      resources: [`arn:aws:application-autoscaling:${config.region}:${config.account}:scalable-target/*`],
      condition: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      },
    };
    expect(
      grants('application-autoscaling:RegisterScalableTarget').sort((a, b) =>
        a.worker.localeCompare(b.worker),
      ),
    ).toEqual([
      { worker: 'apply-autoscaling', ...onTarget },
      { worker: 'apply-scale', ...onTarget },
    ]);
    // Only configure-autoscaling sets or removes policies, and removes targets
    for (const action of ['PutScalingPolicy', 'DeleteScalingPolicy', 'DeregisterScalableTarget'])
      expect(grants(`application-autoscaling:${action}`)).toEqual([
        { worker: 'apply-autoscaling', ...onTarget },
      ]);
    // The count itself only on the configured services
    const ecs = `arn:aws:ecs:${config.region}:${config.account}:service`;
    expect(grants('ecs:UpdateService').find((g) => g.worker === 'apply-scale')?.resources).toEqual(
      expect.arrayContaining([
        `${ecs}/enterprise-prod-cluster/app-service`,
        `${ecs}/enterprise-dev-cluster/app`,
      ]),
    );
    expect(
      grants('ecs:UpdateService')
        .find((g) => g.worker === 'apply-scale')
        ?.resources.every((r) => r.startsWith(`${ecs}/`) && !r.includes('*')),
    ).toBe(true);
  });
});

describe('notifications topic and run-state table', () => {
  it('the topic is KMS-encrypted with the rotating key and its policy denies publishing without TLS', () => {
    // Given the topic, its key and its topic policy
    const topicId = onlyId('AWS::SNS::Topic');
    const keyId = onlyId('AWS::KMS::Key', 'Notifications');
    const topic = resources('AWS::SNS::Topic')[topicId] as Resource;
    const policies = Object.values(resources('AWS::SNS::TopicPolicy')).filter((p) =>
      asArray(props(p).Topics as unknown[]).some((t) => render(t) === `\${${topicId}}`),
    );
    // When the encryption and the policy statements are read
    const statements = policies.flatMap(
      (p) => (props(p).PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const denyWithoutTls = statements.filter(
      (s) =>
        s.Effect === 'Deny' &&
        (s.Principal === '*' || render((s.Principal as Json | undefined)?.AWS) === '*') &&
        asArray(s.Action).some((a) => covers(a, 'sns:Publish')) &&
        String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
    );
    // Then the topic names the key and a statement denies non-TLS publishing to everyone
    expect(props(topic).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(props(resources('AWS::KMS::Key')[keyId] as Resource).EnableKeyRotation).toBe(true);
    expect(denyWithoutTls).toHaveLength(1);
  });

  it('the table has point-in-time recovery, is encrypted with a KMS key and expires items by the ttl attribute', () => {
    // Given the one DynamoDB table (a TableV2, i.e. AWS::DynamoDB::GlobalTable, or a plain Table)
    const tables = { ...resources('AWS::DynamoDB::GlobalTable'), ...resources('AWS::DynamoDB::Table') };
    expect(Object.keys(tables)).toHaveLength(1);
    const table = Object.values(tables)[0] as Resource;
    const p = props(table);
    // When PITR is read where its type keeps it (every replica of a global table, or the table itself)
    const pitr =
      table.Type === 'AWS::DynamoDB::GlobalTable'
        ? asArray(p.Replicas as { PointInTimeRecoverySpecification?: Json }[]).map(
            (r) => r.PointInTimeRecoverySpecification,
          )
        : [p.PointInTimeRecoverySpecification];
    // Then PITR is on everywhere and the TTL attribute is 'ttl'
    expect(pitr.length).toBeGreaterThan(0);
    for (const spec of pitr) expect(spec).toMatchObject({ PointInTimeRecoveryEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
  });
});

describe('least privilege', () => {
  const ecsService = (cluster: string, service: string) =>
    `arn:aws:ecs:${config.region}:${config.account}:service/${cluster}/${service}`;

  it('ecs:UpdateService only on the configured services, only for the workers that update a service (update-service, redeploy-services, force-deployment, and the two that register a scalable target)', () => {
    // Given the services and maintenance pages configured in runbook.config.json
    const expected = [
      ecsService('enterprise-prod-cluster', 'app-service'),
      ecsService('enterprise-prod-cluster', 'maintenance-page'),
      ecsService('enterprise-dev-cluster', 'app'),
    ].sort();
    // When every identity-policy statement that allows ecs:UpdateService (also through a wildcard) is collected
    const grants = identityStatements().filter((s) => allowsAction(s, 'ecs:UpdateService'));
    const granted = [...new Set(grants.flatMap((g) => asArray(g.statement.Resource).map(render)))].sort();
    // Then they name exactly the configured service ARNs, never '*', and only the roles that update have them
    expect(grants.length).toBeGreaterThan(0);
    expect(granted).toEqual(expected);
    for (const arn of granted) expect(arn).not.toContain('*');
    expect(grants.flatMap((g) => g.roles).sort()).toEqual([
      'Runbook/Workers/apply-autoscaling/ServiceRole/Resource',
      'Runbook/Workers/apply-scale/ServiceRole/Resource',
      'Runbook/Workers/force-deployment/ServiceRole/Resource',
      'Runbook/Workers/redeploy-services/ServiceRole/Resource',
      'Runbook/Workers/update-service/ServiceRole/Resource',
    ]);
    for (const g of grants) {
      expect(g.statement.Condition).toBeUndefined();
    }
  });

  it('the approval API has exactly its three routes, each authorized with AWS IAM', () => {
    // Given the API's resources and methods
    const paths = Object.fromEntries(
      Object.entries(resources('AWS::ApiGateway::Resource')).map(([id, r]) => [
        id,
        String(props(r).PathPart),
      ]),
    );
    const parentOf = Object.fromEntries(
      Object.entries(resources('AWS::ApiGateway::Resource')).map(([id, r]) => [
        id,
        (props(r).ParentId as { Ref?: string }).Ref ?? '',
      ]),
    );
    const pathOf = (id: string): string => (paths[id] ? `${pathOf(parentOf[id] ?? '')}/${paths[id]}` : '');
    const methods = Object.values(resources('AWS::ApiGateway::Method')).map((m) => ({
      route: `${props(m).HttpMethod} ${pathOf((props(m).ResourceId as { Ref: string }).Ref)}`,
      auth: props(m).AuthorizationType,
    }));
    // Then: list, read, decide; nothing else, and never without SigV4
    expect(methods.map((m) => m.route).sort()).toEqual([
      'GET /approvals',
      'GET /approvals/{id}',
      'POST /approvals/{id}/decision',
    ]);
    for (const m of methods) expect(m.auth, m.route).toBe('AWS_IAM');
  });

  it('only principals of this account may call the approval API, and its stage never logs bodies', () => {
    const api = props(Object.values(resources('AWS::ApiGateway::RestApi'))[0] as Resource);
    const statements = (api.Policy as { Statement: Statement[] }).Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    expect(render(((statements[0]?.Principal ?? {}) as { AWS?: unknown }).AWS)).toBe(
      `arn:aws:iam::${config.account}:root`,
    );
    const stage = props(Object.values(resources('AWS::ApiGateway::Stage'))[0] as Resource);
    expect(stage.AccessLogSetting).toBeDefined();
    expect(stage.TracingEnabled).toBe(true);
    for (const setting of asArray(stage.MethodSettings as Json[]))
      expect(setting.DataTraceEnabled).toBe(false);
    // The URL `runbook approve` reads from the stack's outputs.
    expect(
      Object.keys(tpl().findOutputs('*')).filter((k) => k.startsWith('ApprovalsApiEndpoint')),
    ).toHaveLength(1);
  });

  it.each(['states:SendTaskSuccess', 'states:SendTaskFailure'])(
    '%s only for the approval-api function: nothing else can resume a gate',
    (action) => {
      const grants = identityStatements().filter((s) => allowsAction(s, action));
      expect(grants.length).toBeGreaterThan(0);
      for (const g of grants) expect(g.roles).toEqual(['Runbook/Workers/approval-api/ServiceRole/Resource']);
    },
  );

  it('the approval-api function reads and writes only the run-state table', () => {
    const own = identityStatements().filter((s) =>
      s.roles.includes('Runbook/Workers/approval-api/ServiceRole/Resource'),
    );
    const dynamo = own.filter((s) => asArray(s.statement.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => asArray(s.statement.Action)).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    const table = onlyId('AWS::DynamoDB::GlobalTable');
    for (const s of dynamo)
      for (const r of asArray(s.statement.Resource)) expect(render(r)).toContain(`\${${table}.Arn}`);
  });

  it('no identity policy allows a service-wide wildcard action or uses NotAction', () => {
    // Given every statement of every identity-based policy in the stack
    const statements = identityStatements();
    expect(statements.length).toBeGreaterThan(0);
    // When the allowed actions are checked
    const wildcards = statements.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && asArray(statement.Action).some((a) => a === '*' || a.endsWith(':*')),
    );
    const notActions = statements.filter(({ statement }) => statement.NotAction !== undefined);
    // Then none allows 'service:*' or '*', and none is written with NotAction
    expect(wildcards.map((w) => `${w.policy}: ${JSON.stringify(w.statement.Action)}`)).toEqual([]);
    expect(notActions.map((w) => w.policy)).toEqual([]);
  });

  it('the only service-wide wildcard in a resource policy is the key delegating to the account root', () => {
    // Given the KMS key policy and the topic policy (the stack's resource policies)
    const documents = [
      ...Object.values(resources('AWS::KMS::Key')).map((k) => props(k).KeyPolicy),
      ...Object.values(resources('AWS::SNS::TopicPolicy')).map((p) => props(p).PolicyDocument),
    ] as { Statement: Statement[] }[];
    // When the statements allowing 'service:*' are collected
    const wildcards = documents
      .flatMap((d) => d.Statement)
      .filter((s) => s.Effect === 'Allow' && asArray(s.Action).some((a) => a === '*' || a.endsWith(':*')));
    // Then each is the default key-policy delegation to this account's IAM (principal: the account root)
    for (const s of wildcards) {
      expect(asArray(s.Action)).toEqual(['kms:*']);
      expect(render((s.Principal as Json).AWS)).toBe(`arn:aws:iam::${config.account}:root`);
    }
    expect(wildcards.length).toBeLessThanOrEqual(Object.keys(resources('AWS::KMS::Key')).length);
  });

  it('iam:PassRole only on the configured task roles to ECS tasks, the export role to RDS exports, the monitoring role to RDS monitoring', () => {
    // Given the taskRoleArns of the configured services
    const expected = [
      'arn:aws:iam::123456789012:role/enterprise-prod-app-task',
      'arn:aws:iam::123456789012:role/enterprise-prod-ecs-execution',
      'arn:aws:iam::123456789012:role/enterprise-dev-app-task',
      'arn:aws:iam::123456789012:role/enterprise-dev-ecs-execution',
    ].sort();
    // When every statement allowing iam:PassRole (also through a wildcard) is collected
    const all = identityStatements().filter((s) => allowsAction(s, 'iam:PassRole'));
    const exportRole = `\${${onlyId('AWS::IAM::Role', 'DatabaseExportsRole')}.Arn}`;
    const passesExportRole = (g: Owned) => asArray(g.statement.Resource).map(render).includes(exportRole);
    // Then the export role is passed by start-export alone, to RDS's export service alone, and alone
    const exporting = all.filter(passesExportRole);
    expect(exporting.flatMap((g) => g.roles)).toEqual(['Runbook/Workers/start-export/ServiceRole/Resource']);
    for (const g of exporting) {
      expect(asArray(g.statement.Resource).map(render)).toEqual([exportRole]);
      expect(g.statement.Condition?.StringEquals?.['iam:PassedToService']).toBe('export.rds.amazonaws.com');
    }
    // The configured monitoring role is passed by modify-instance alone, to Enhanced Monitoring alone
    const monitoringRole = 'arn:aws:iam::123456789012:role/rds-monitoring-role';
    const passesMonitoringRole = (g: Owned) =>
      asArray(g.statement.Resource).map(render).includes(monitoringRole);
    const monitoring = all.filter(passesMonitoringRole);
    expect(monitoring.flatMap((g) => g.roles)).toEqual([
      'Runbook/Workers/modify-instance/ServiceRole/Resource',
    ]);
    for (const g of monitoring) {
      expect(asArray(g.statement.Resource).map(render)).toEqual([monitoringRole]);
      expect(g.statement.Condition?.StringEquals?.['iam:PassedToService']).toBe(
        'monitoring.rds.amazonaws.com',
      );
    }
    const grants = all.filter((g) => !passesExportRole(g) && !passesMonitoringRole(g));
    const granted = [...new Set(grants.flatMap((g) => asArray(g.statement.Resource).map(render)))].sort();
    // Then it names exactly those roles and only lets them be passed to ecs-tasks.amazonaws.com
    expect(grants.length).toBeGreaterThan(0);
    expect(granted).toEqual(expected);
    // (registering a revision, and pointing a service at one, which passes its roles: the pessimistic reading)
    expect(grants.flatMap((g) => g.roles).sort()).toEqual([
      'Runbook/Workers/apply-scale/ServiceRole/Resource',
      'Runbook/Workers/force-deployment/ServiceRole/Resource',
      'Runbook/Workers/redeploy-services/ServiceRole/Resource',
      'Runbook/Workers/register-task-definition/ServiceRole/Resource',
      'Runbook/Workers/update-service/ServiceRole/Resource',
    ]);
    for (const g of grants) {
      expect(asArray(g.statement.Condition?.StringEquals?.['iam:PassedToService'])).toEqual([
        'ecs-tasks.amazonaws.com',
      ]);
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('synth passes with zero unacknowledged findings', () => {
    // Given the stack built from runbook.config.json with AwsSolutionsChecks as a validation plugin
    // When it was synthesized (in beforeAll)
    const report = readReport(outdir).pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    // Then synth did not throw, and the AwsSolutions report has no violations left
    // (its acknowledged findings show the plugin really ran)
    expect(synthError).toBeUndefined();
    expect(report?.violations).toEqual([]);
    expect(report?.conclusion).toBe('success');
    expect(report?.suppressedViolations?.length ?? 0).toBeGreaterThan(0);
  });

  it('negative control: an unencrypted, non-TLS topic and a Resource "*" policy fail the synth', () => {
    // Given a freshly built app with two obviously non-compliant constructs added
    const dir = freshOutdir();
    const fresh = buildApp(config, { bundle: false, outdir: dir });
    new sns.Topic(fresh.stack, 'NonCompliantTopic');
    new iam.Role(fresh.stack, 'NonCompliantRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    }).addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    // When it is synthesized
    let thrown: unknown;
    try {
      fresh.app.synth();
    } catch (error) {
      thrown = error;
    }
    // Then synth throws naming AwsSolutions, and the report blames exactly the added constructs
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message).toContain('AwsSolutions');
    expect(message).toContain('Runbook/NonCompliantTopic');
    const report = readReport(dir).pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(report?.conclusion).toBe('failure');
    const blamed = (report?.violations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`),
    );
    expect(blamed).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SNS3 Runbook/NonCompliantTopic/Resource',
        'AwsSolutions-IAM5[Resource::*] Runbook/NonCompliantRole/DefaultPolicy/Resource',
      ]),
    );
    for (const line of blamed) expect(line).toMatch(/ Runbook\/NonCompliant(Topic|Role)\//);
  });
});

describe('config validation', () => {
  const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Json;
  // biome-ignore lint/suspicious/noExplicitAny: each case mutates an untyped copy of the JSON.
  type Broken = (c: any) => void;

  function rejection(breakIt: Broken): Error {
    const copy = structuredClone(raw);
    breakIt(copy);
    try {
      parseConfig(copy, 'broken.json');
    } catch (error) {
      return error as Error;
    }
    throw new Error('parseConfig accepted the broken config');
  }

  it('the example config parses (the control for the broken ones)', () => {
    // Given runbook.config.json as JSON
    // When it is parsed
    const parsed: Config = parseConfig(structuredClone(raw), 'runbook.config.json');
    // Then it is accepted with its polling section and environments
    expect(parsed.polling.alarmIntervalSeconds).toBe(60);
    expect(Object.keys(parsed.environments).sort()).toEqual(['dev', 'prod']);
  });

  it.each<[string, Broken, string]>([
    [
      'a health check at 9:00 (not HH:MM)',
      (c) => {
        c.environments.prod.healthCheck.schedule.time = '9:00';
      },
      'environments.prod.healthCheck.schedule.time',
    ],
    [
      'a health check in a time zone that does not exist',
      (c) => {
        c.environments.prod.healthCheck.schedule.timeZone = 'Mars/Olympus_Mons';
      },
      'environments.prod.healthCheck.schedule.timeZone',
    ],
    [
      'a health check log window over a day',
      (c) => {
        c.environments.prod.healthCheck.logs[0].windowMinutes = 1441;
      },
      'environments.prod.healthCheck.logs.0.windowMinutes',
    ],
    [
      'a health check notifying at an unknown severity',
      (c) => {
        c.environments.prod.healthCheck.notify.fail = 'loud';
      },
      'environments.prod.healthCheck.notify.fail',
    ],
    [
      'a health check log group with a space',
      (c) => {
        c.environments.prod.healthCheck.logs[0].logGroup = '/aws/app prod';
      },
      'environments.prod.healthCheck.logs.0.logGroup',
    ],
    [
      'a targetGroupArn that is a load balancer ARN',
      (c) => {
        c.environments.prod.services.app.targetGroupArn =
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/enterprise-prod/50dc6c495c0c9188';
      },
      'environments.prod.services.app.targetGroupArn',
    ],
    [
      'no database where the environment requires a snapshot',
      (c) => {
        delete c.environments.prod.services.app.database;
      },
      'environments.prod.services.app.database',
    ],
    [
      'an unknown field in a service',
      (c) => {
        c.environments.prod.services.app.colour = 'blue';
      },
      'environments.prod.services.app',
    ],
    [
      'alarmIntervalSeconds: 120 (alarms are polled at least every 60 s)',
      (c) => {
        c.polling.alarmIntervalSeconds = 120;
      },
      'polling.alarmIntervalSeconds',
    ],
    [
      'a target group in another account',
      (c) => {
        c.environments.prod.services.app.targetGroupArn =
          'arn:aws:elasticloadbalancing:us-east-1:999999999999:targetgroup/enterprise-prod-app/6d0ecf831eec9f09';
      },
      'environments.prod.services.app.targetGroupArn',
    ],
    [
      'a target group in another region',
      (c) => {
        c.environments.prod.services.app.targetGroupArn =
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/enterprise-prod-app/6d0ecf831eec9f09';
      },
      'environments.prod.services.app.targetGroupArn',
    ],
    [
      'a task role of another account',
      (c) => {
        c.environments.dev.services.app.taskRoleArns[1] = 'arn:aws:iam::999999999999:role/someone-elses';
      },
      'environments.dev.services.app.taskRoleArns.1',
    ],
    [
      'a database monitoring role of another account',
      (c) => {
        c.environments.prod.databases.main.monitoringRoleArn =
          'arn:aws:iam::999999999999:role/rds-monitoring-role';
      },
      'environments.prod.databases.main.monitoringRoleArn',
    ],
    [
      'the same ECS service under two names',
      (c) => {
        c.environments.prod.services.web = { ...c.environments.prod.services.app };
      },
      'environments.prod.services.web.service',
    ],
    [
      'a registry wildcard that would let any image in',
      (c) => {
        c.environments.dev.services.app.allowedRegistries = ['*'];
      },
      'environments.dev.services.app.allowedRegistries.0',
    ],
    [
      'a bake that watches no alarm, unless the policy says so',
      (c) => {
        c.environments.dev.services.app.alarms = [];
      },
      'environments.dev.services.app.alarms',
    ],
  ])('rejects %s with a ConfigError naming the field', (_what, breakIt, path) => {
    // Given the example config with one defect
    // When it is parsed
    const error = rejection(breakIt);
    // Then a ConfigError names the source and the field path
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('broken.json is invalid');
    expect(error.message).toContain(`${path}:`);
  });

  it('accepts a bake without alarms where the policy says so explicitly, and a registry with a path', () => {
    // Given dev baking with no alarm, saying so, and a registry named with its path
    // biome-ignore lint/suspicious/noExplicitAny: an untyped copy of the JSON.
    const copy: any = structuredClone(raw);
    copy.environments.dev.services.app.alarms = [];
    copy.environments.dev.policy.bakeWithoutAlarms = true;
    copy.environments.dev.services.app.allowedRegistries = ['public.ecr.aws/my-team'];
    // When / Then
    expect(parseConfig(copy).environments.dev?.policy.bakeWithoutAlarms).toBe(true);
  });

  it('refuses a config file with a key twice, naming where', () => {
    // Given a file where a second "prod" would silently replace the first
    const dir = freshOutdir();
    const file = join(dir, 'twice.json');
    const text = JSON.stringify(raw, null, 2).replace('"dev": {', '"prod": {');
    writeFileSync(file, text);
    const line = text.split('\n').lastIndexOf('    "prod": {') + 1;
    // When / Then the second one is named, with its line
    expect(() => loadConfig(file)).toThrow(
      `${file} is invalid: environments: 'prod' appears twice (line ${line})`,
    );
  });

  it('the unknown-field error also names the field itself', () => {
    // Given a service with a field the schema does not know
    // When it is parsed
    const error = rejection((c) => {
      c.environments.dev.services.app.colour = 'blue';
    });
    // Then the message names the path and the unknown key
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/environments\.dev\.services\.app: .*"colour"/);
  });

  it('loadConfig names the file of a broken config', () => {
    // Given a broken config written to a file
    const dir = freshOutdir();
    const file = join(dir, 'runbook.config.json');
    const copy = structuredClone(raw) as { polling: Json };
    copy.polling.alarmIntervalSeconds = 120;
    writeFileSync(file, JSON.stringify(copy));
    // When it is loaded
    // Then the ConfigError names the file and the field
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(`${file} is invalid: polling.alarmIntervalSeconds:`);
  });
});

describe('the CI role', () => {
  const ROLE = 'Runbook/Ci/Role/Resource';
  const ciRole = () => {
    const found = Object.values(resources('AWS::IAM::Role')).filter((r) => cdkPath(r) === ROLE);
    expect(found).toHaveLength(1);
    return found[0] as Resource;
  };

  it('only workflows of the configured repository, on its branches and environments, may assume it through GitHub OIDC', () => {
    // Given the config's ci / When the role's trust policy is read
    const trust = props(ciRole()).AssumeRolePolicyDocument as { Statement: Statement[] };
    const provider = Object.values(resources('AWS::IAM::OIDCProvider'));
    // Then it trusts the GitHub provider alone, for sts.amazonaws.com, and only the configured subjects
    expect(provider.map((p) => props(p).Url)).toEqual(['https://token.actions.githubusercontent.com']);
    expect(props(ciRole()).RoleName).toBe('Runbook-ci');
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        'ForAnyValue:StringLike': {
          'token.actions.githubusercontent.com:sub': (config.ci?.subjects ?? []).map(
            (s) => `repo:${config.ci?.repository}:${s}`,
          ),
        },
      },
    });
  });

  it('may start the machines, follow and audit their runs, and nothing else: no stop, no task token, no approvals API', () => {
    // Given every statement attached to the role
    const own = identityStatements().filter((s) => s.roles.includes(ROLE));
    const actions = own.flatMap((s) => asArray(s.statement.Action)).sort();
    // Then these are all its actions
    expect(actions).toEqual([
      'states:DescribeExecution',
      'states:DescribeStateMachine',
      'states:DescribeStateMachineForExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:ListStateMachines',
      'states:StartExecution',
    ]);
    for (const forbidden of ['states:StopExecution', 'states:SendTaskSuccess', 'execute-api:Invoke'])
      expect(own.filter((s) => allowsAction(s, forbidden))).toEqual([]);
    // And it starts only the stack's machines, and follows only their executions
    const start = own.find((s) => allowsAction(s, 'states:StartExecution'));
    const machines = Object.keys(resources('AWS::StepFunctions::StateMachine')).map((id) => `\${${id}}`);
    expect(asArray(start?.statement.Resource).map(render).sort()).toEqual(machines.sort());
    const follow = own.find((s) => allowsAction(s, 'states:GetExecutionHistory'));
    expect(asArray(follow?.statement.Resource).map(render).sort()).toEqual(
      PROCEDURES.map(
        (p) => `arn:aws:states:${config.region}:${config.account}:execution:${stateMachineName(p)}:*`,
      ).sort(),
    );
  });

  it('is a CI principal: the catalogue the approval rules read never takes its sessions as an approver', () => {
    // Given the config's ci / When the catalogue is made from it
    const { ciPrincipals } = catalogueOf(config);
    // Then its sessions are listed as CI principals
    expect(ciPrincipals).toContain(`arn:aws:sts::${config.account}:assumed-role/Runbook-ci/*`);
  });
});
