// The rehearsal authorizes every call against the policies cdk synth produced for the role making
// it: with one grant taken out of the synthesized stack, the run fails at the step that needs it,
// as AWS would fail it, naming the action; and nothing that step would have changed is changed.
import { describe, expect, it } from 'vitest';
import type { Definitions, Principal } from '../../rehearsal/definitions.ts';
import { evaluate } from '../../rehearsal/iam/policy.ts';
import { type CallEnv, loadIamFacts, needsOf, requestsOf } from '../../rehearsal/iam/requests.ts';
import { changes, definitionsOnce, example, run } from './support.ts';

const input = example('production-deployment');
const actions = (s: Principal['statements'][number]) => [s.Action].flat();

/** The synthesized definitions with one action taken out of one role's policies. */
function without(action: string, role: { worker: string } | { machine: string }): Definitions {
  const definitions = definitionsOnce();
  const take = (p: Principal | undefined): Principal => {
    if (!p) throw new Error(`no role ${JSON.stringify(role)}`);
    const statements = p.statements
      .map((s) => ({ ...s, Action: actions(s).filter((a) => a !== action) }))
      .filter((s) => s.Action.length > 0);
    expect(statements.flatMap(actions)).not.toContain(action);
    expect(p.statements.flatMap(actions)).toContain(action);
    return { ...p, statements };
  };
  return 'worker' in role
    ? {
        ...definitions,
        workerRoles: {
          ...definitions.workerRoles,
          [role.worker]: take(definitions.workerRoles[role.worker]),
        },
      }
    : {
        ...definitions,
        machineRoles: {
          ...definitions.machineRoles,
          [role.machine]: take(definitions.machineRoles[role.machine]),
        },
      };
}

describe('the retention’s grant', () => {
  it('lets prune-snapshots delete a pre-deploy snapshot only if it carries this runbook’s tag', async () => {
    // Given the worker's synthesized role, and the request a DeleteDBSnapshot makes
    await loadIamFacts();
    const role = definitionsOnce().workerRoles['prune-snapshots'];
    if (!role) throw new Error('no prune-snapshots role');
    const verdict = (tags: Record<string, string>) => {
      const env = {
        region: 'us-east-1',
        account: '123456789012',
        snapshotTags: () => tags,
      } as unknown as CallEnv;
      const [request] = requestsOf(
        needsOf('rds', 'DeleteDBSnapshot', { DBSnapshotIdentifier: 'pre-deploy-app-1' }, env),
        env,
      );
      if (!request) throw new Error('no request');
      return evaluate(role.statements, request);
    };
    // Then
    expect(verdict({ 'runbook:purpose': 'pre-deploy' })).toBe('allowed');
    expect(verdict({})).toBe('implicitly denied');
    expect(verdict({ 'runbook:purpose': 'manual-backup' })).toBe('implicitly denied');
  });
});

describe('permissions in the rehearsal', () => {
  it('fails a worker’s call its role is not allowed, as AWS answers it, before it changes anything', async () => {
    // When the snapshot worker may not tag the snapshot it creates
    const result = await run('production-deployment', input, {
      definitions: without('rds:AddTagsToResource', { worker: 'create-snapshot' }),
    });

    // Then the run fails at Create Snapshot, saying what was refused, and nothing was changed
    expect(result.status).toBe('FAILED');
    expect(result.events.find((e) => e.kind === 'failed')?.state).toBe('Create Snapshot');
    expect(result.error).toBe('AccessDenied');
    expect(result.cause).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/WorkerscreatesnapshotServiceRole\w+\/\w+ is not authorized to perform: rds:AddTagsToResource on resource: arn:aws:rds:us-east-1:123456789012:snapshot:pre-deploy-app-\S+ because no identity-based policy allows the rds:AddTagsToResource action$/,
    );
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it('fails a Task whose function the state machine’s role may not invoke', async () => {
    const result = await run('production-deployment', input, {
      definitions: without('lambda:InvokeFunction', { machine: 'production-deployment' }),
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.AWSLambdaException');
    expect(result.cause).toMatch(
      /is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:Workersvalidatedeploymentinput\w+ because no identity-based policy allows the lambda:InvokeFunction action \(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException\)/,
    );
    expect(changes(result)).toEqual([]);
  });

  it('fails the rollback’s start when the deployment’s role may not start it: the on-call is paged', async () => {
    const result = await run('production-deployment', input, {
      scenario: 'crash-loop',
      definitions: without('states:StartExecution', { machine: 'production-deployment' }),
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackFailed');
    expect(result.cause).toMatch(
      /StepFunctions.AWSStepFunctionsException: .* is not authorized to perform: states:StartExecution on resource: arn:aws:states:us-east-1:123456789012:stateMachine:runbook-rollback /,
    );
    expect(result.account.notifications.some((n) => n.severity === 'page')).toBe(true);
  });

  it('asks for the topic’s key to publish to it: without it the notice is refused (KMSAccessDeniedException)', async () => {
    const result = await run('production-deployment', input, {
      definitions: without('kms:GenerateDataKey*', { worker: 'notify' }),
    });
    // The start notice is refused, which the run notes and goes on from
    const notice = result.events.find((e) => e.state === 'Notify Start' && e.kind === 'failed');
    expect(notice?.error).toBe('KMSAccessDeniedException');
    expect(notice?.cause).toMatch(
      /is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:/,
    );
    expect(result.events.some((e) => e.state === 'Notify Start' && e.kind === 'caught')).toBe(true);
    expect(result.account.notifications.map((n) => n.event)).not.toContain('started');
  });
});

describe('the health check’s grants in the rehearsal', () => {
  it.each([
    ['ec2:DescribeNatGateways', 'check-network', 'network', 'UnauthorizedOperation'],
    ['logs:FilterLogEvents', 'check-logs', 'logs', 'AccessDeniedException'],
    ['cloudwatch:DescribeAlarms', 'check-firing-alarms', 'alarms', 'AccessDenied'],
  ])(
    'without %s, %s cannot check: the report fails that check, naming the action',
    async (action, worker, check, code) => {
      const result = await run('health-check', example('health-check'), {
        definitions: without(action, { worker }),
      });
      expect(result.status).toBe('SUCCEEDED');
      const findings = (result.output as { findings: { check: string; verdict: string; actual: string }[] })
        .findings;
      expect(findings.filter((f) => f.verdict !== 'pass')).toEqual([
        expect.objectContaining({
          check,
          verdict: 'fail',
          actual: expect.stringMatching(
            new RegExp(`^could not check: ${code}: .* is not authorized to perform: ${action} `),
          ),
        }),
      ]);
    },
  );

  it('allows the EC2 reads in the stack’s region only (the ec2:Region condition)', async () => {
    await loadIamFacts();
    const role = definitionsOnce().workerRoles['check-network'];
    if (!role) throw new Error('no check-network role');
    const verdict = (region: string) => {
      const env = { region, account: '123456789012' } as unknown as CallEnv;
      const [request] = requestsOf(needsOf('ec2', 'DescribeVpcs', {}, env), env);
      if (!request) throw new Error('no request');
      return evaluate(role.statements, request);
    };
    expect(verdict('us-east-1')).toBe('allowed');
    expect(verdict('eu-west-1')).toBe('implicitly denied');
  });
});

describe('the resource usage grant in the rehearsal', () => {
  it('without cloudwatch:GetMetricData, the read is refused by IAM: the run fails UsageUnreadable, naming the action', async () => {
    const result = await run('resource-usage', example('resource-usage'), {
      definitions: without('cloudwatch:GetMetricData', { worker: 'read-usage' }),
    });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'UsageUnreadable',
    });
    expect(result.cause).toMatch(
      /^CloudWatch GetMetricData: AccessDenied: .*is not authorized to perform: cloudwatch:GetMetricData/,
    );
  });
});
