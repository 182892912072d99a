// The state machine definitions exactly as CDK synthesizes them for AWS, turned into plain ASL: each
// CloudFormation intrinsic in DefinitionString is replaced by a valid ARN or name, so the local
// engine runs the same definition AWS runs. Also: which Lambda ARN is which worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../infra/build-app.ts';
import type { Config } from '../infra/config.ts';
import type { Worker } from '../tasks/worker.ts';

// biome-ignore lint/suspicious/noExplicitAny: ASL is open-ended JSON.
export type Asl = { StartAt: string; States: Record<string, any>; TimeoutSeconds?: number; Comment?: string };

export interface Definitions {
  /** By procedure name (the state machine's name without runbook-). */
  readonly machines: Record<string, { readonly arn: string; readonly name: string; readonly asl: Asl }>;
  /** Worker by Lambda function ARN, as the definitions reference them. */
  readonly functions: Record<string, Worker>;
  readonly table: string;
  readonly topicArn: string;
}

type Template = {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
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

export function definitionsFromTemplate(
  template: Template,
  config: Config,
  workers: ReadonlyMap<string, Worker>,
): Definitions {
  const { region, account } = config;
  const resources = template.Resources;
  const machineName = (id: string) => String(resources[id]?.Properties?.StateMachineName ?? id);
  const machineArn = (id: string) => `arn:aws:states:${region}:${account}:stateMachine:${machineName(id)}`;

  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const ref = (part as { Ref?: string }).Ref;
    const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return region;
    if (ref === 'AWS::AccountId') return account;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const id = ref ?? getAtt?.[0];
    const type = id ? resources[id]?.Type : undefined;
    switch (type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${id}`;
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return String(id);
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${id}`;
      case 'AWS::StepFunctions::StateMachine':
        return machineArn(String(id));
      default:
        throw new Error(`cannot resolve ${JSON.stringify(part)} in a state machine definition`);
    }
  };

  const machines: Record<string, { arn: string; name: string; asl: Asl }> = {};
  const functions: Record<string, Worker> = {};
  let table = '';
  let topicArn = '';
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      const body = resource.Properties?.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
      const text =
        typeof body === 'string' ? body : body['Fn::Join'][1].map(resolve).join(body['Fn::Join'][0]);
      const name = machineName(id);
      machines[name.replace(/^runbook-/, '')] = { arn: machineArn(id), name, asl: JSON.parse(text) as Asl };
    }
    if (resource.Type === 'AWS::Lambda::Function') {
      const path = String(resource.Metadata?.['aws:cdk:path'] ?? '');
      const worker = workers.get(/\/Workers\/([a-z-]+)\/Resource$/.exec(path)?.[1] ?? '');
      if (worker) functions[resolve({ 'Fn::GetAtt': [id, 'Arn'] })] = worker;
    }
    if (resource.Type === 'AWS::DynamoDB::GlobalTable') table = id;
    if (resource.Type === 'AWS::SNS::Topic') topicArn = resolve({ Ref: id });
  }
  return { machines, functions, table, topicArn };
}
