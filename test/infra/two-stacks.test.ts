// Two stacks of this project (two configs: two teams, say) side by side in one account and region:
// every name CloudFormation does not make unique itself derives from the stack, so none is taken twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.ts';
import { ConfigSchema, loadConfig } from '../../infra/config.ts';
import { definitionsFromTemplate } from '../../rehearsal/definitions.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function synth(stackName: string) {
  const config = { ...loadConfig(), stackName };
  const outdir = mkdtempSync(join(tmpdir(), 'two-stacks-'));
  dirs.push(outdir);
  const { app, stack } = buildApp(config, { outdir, bundle: false, validate: false });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  return { config, template, workers: stack.workers.workers };
}

/** The names one account and region hold once, by the resource type and property that set them. */
const UNIQUE: Record<string, string> = {
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Events::Rule': 'Name',
  'AWS::KMS::Alias': 'AliasName',
};

/** The unique names a template sets itself (the rest CloudFormation makes unique). */
const namesOf = (template: ReturnType<typeof synth>['template']) =>
  Object.values(template.Resources).flatMap((r) => {
    const key = UNIQUE[r.Type];
    const value = key ? r.Properties?.[key] : undefined;
    return key && value !== undefined ? [`${r.Type} ${key} ${JSON.stringify(value)}`] : [];
  });

describe('two stacks side by side', () => {
  it('take no name twice: state machines, their alarms and log groups are named after the stack', () => {
    const first = synth('Runbook');
    const second = synth('RunbookPayments');
    const names = [namesOf(first.template), namesOf(second.template)];
    expect(names[0]?.length).toBeGreaterThan(5);
    // (state machines, their alarms and log groups)
    expect(names[0]).toContain(
      'AWS::StepFunctions::StateMachine StateMachineName "runbook-production-deployment"',
    );
    expect(names[1]).toContain(
      'AWS::StepFunctions::StateMachine StateMachineName "runbookpayments-production-deployment"',
    );
    expect((names[0] ?? []).filter((n) => (names[1] ?? []).includes(n))).toEqual([]);
    // And the rehearsal finds each procedure's machine in either
    const definitions = definitionsFromTemplate(second.template, second.config, second.workers);
    expect(Object.keys(definitions.machines).sort()).toEqual(PROCEDURES.map((p) => p.name).sort());
  });

  it('refuses a stack name that makes a state machine name longer than Step Functions allows', () => {
    const parsed = ConfigSchema.safeParse({ ...loadConfig(), stackName: `R${'x'.repeat(70)}` });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContainEqual(
      expect.stringMatching(
        /^stackName: names the state machine rx+-production-deployment, longer than the 80 characters/,
      ),
    );
  });
});
