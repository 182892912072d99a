// `runbook approvals / approve / reject` as a person runs them: real subprocesses through the bin shim,
// signing with their own credentials, against a local stand-in of the decision API that checks the
// signatures and runs the real approval-api function on a simulated table and Step Functions.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { awsError } from '../../rehearsal/account/errors.ts';
import { type DecideOptions, decideApproval, listApprovals } from '../../scripts/approvals.ts';
import { approvalIdOf, summaryHashOf, toItem } from '../../tasks/approvals/request.ts';
import { type Caller, startStandIn, TABLE } from './approval-api-stand-in.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../scripts/runbook.js', import.meta.url));
const config = loadConfig();
const SSO = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdDeployApprover_ab12';
const CALLERS: Record<string, Caller> = {
  AKIDBOB: { secret: 'bob-secret', arn: `${SSO}/bob@company.com` },
  AKIDCAROL: { secret: 'carol-secret', arn: `${SSO}/carol@company.com` },
  AKIDDANA: { secret: 'dana-secret', arn: `${SSO}/dana@company.com` },
};

let standIn: Awaited<ReturnType<typeof startStandIn>>;

/** A pending request of its own run, as the gate would have recorded it; returns its id and hash. */
async function seed(run: string) {
  const executionId = `arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:${run}`;
  const hashed = {
    approvalId: approvalIdOf(executionId, 'Wait For Approval'),
    summary: {
      procedure: 'production-deployment',
      environment: 'prod',
      target: 'app',
      change: 'image app@sha256:abc',
      from: 'prod-app:41',
      fromDetail: '3 tasks',
      changeRequest: 'CHG-1042',
      reason: 'release \u001b[2J',
      requestedBy: 'dana@company.com',
      snapshot: 'pre-deploy-app-1',
    },
    rule: {
      approvers: [`arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdDeployApprover_*/*`],
      required: 1,
      neverApprovers: [],
    },
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  };
  const request = {
    ...hashed,
    executionId,
    gate: 'Wait For Approval',
    runStartedAt: '2026-11-30T07:58:00.000Z',
    status: 'pending' as const,
    summaryHash: summaryHashOf(hashed),
    requestedAt: new Date().toISOString(),
    decisions: [],
    refusals: [],
    reminders: { remindAt: null, pageAt: null, reminded: false, paged: false },
    startedBy: 'arn:aws:sts::123456789012:assumed-role/github-actions-deploy/run-42',
    delivery: null,
    version: 0,
  };
  const token = `token-${run}`;
  standIn.account.service('sfn').issue(token);
  await standIn.clients.dynamodb.send(
    new PutItemCommand({ TableName: TABLE, Item: { ...toItem(request), taskToken: { S: token } } }),
  );
  return { id: hashed.approvalId, hash: request.summaryHash, token };
}

function runbook(args: string[], key: string, secret = CALLERS[key]?.secret ?? 'x') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--api', standIn.url], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: '/nonexistent',
        CI: 'true',
        AWS_ACCESS_KEY_ID: key,
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  standIn = await startStandIn(config, CALLERS);
});
afterAll(async () => {
  await standIn.close();
});

/** The same commands in this process, signed with these credentials: what they printed, or the error they ended with. */
async function inProcess(
  key: string,
  command: (out: (line: string) => void) => Promise<unknown>,
  secret?: string,
) {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = key;
  process.env.AWS_SECRET_ACCESS_KEY = secret ?? CALLERS[key]?.secret ?? 'x';
  const lines: string[] = [];
  try {
    const result = await command((line) => lines.push(line));
    return { result, stdout: lines.join('\n'), error: null };
  } catch (error) {
    return { result: null, stdout: lines.join('\n'), error: error as Error & { exitCode?: number } };
  } finally {
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
}

describe('runbook approve / reject / approvals', () => {
  it('decides as the signed-in person, and refuses each kind of attempt with its own exit code', async () => {
    // Given one request per attempt
    const [a, b, c, d, e, f] = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map(seed));
    if (!a || !b || !c || !d || !e || !f) throw new Error('not seeded');
    const api = { api: standIn.url };
    const decide = (id: string, over: Partial<DecideOptions>) => (out: (line: string) => void) =>
      decideApproval(id, { ...api, decision: 'approve', yes: true, ...over }, config, out);

    // When people run the commands (the first three as the runbook command itself)
    const [approved, own, noReason] = await Promise.all([
      runbook(['approve', a.id, '--yes', '--comment', 'ship it'], 'AKIDBOB'),
      runbook(['approve', b.id, '--yes'], 'AKIDDANA'),
      runbook(['reject', f.id, '--yes'], 'AKIDBOB'),
    ]);
    const rejected = await inProcess(
      'AKIDCAROL',
      decide(c.id, { decision: 'reject', comment: 'not during the sale' }),
    );
    const badSignature = await inProcess('AKIDBOB', decide(d.id, {}), 'wrong-secret');
    const unknown = await inProcess('AKIDBOB', decide('f'.repeat(20), {}));
    const changed = await inProcess('AKIDBOB', decide(e.id, { hash: '000000000000' }));
    const noConfirm = await inProcess('AKIDBOB', decide(e.id, { yes: false }));
    const listed = await inProcess('AKIDCAROL', (out) => listApprovals({ ...api, json: true }, config, out));

    // Then bob approved a, as himself, and the run resumed with his identity in the output
    expect(approved.stdout).toContain('Approved as bob@company.com');
    expect(approved.stdout).toContain('The run resumes.');
    expect(approved.stdout).toContain('reason: release \\x1b[2J');
    expect(approved.code).toBe(0);
    expect(standIn.account.service('sfn').collect(a.token)).toMatchObject({
      kind: 'success',
      output: { decision: 'approved', approver: 'bob@company.com', approvers: [{ comment: 'ship it' }] },
    });
    // dana requested b and may not decide it
    expect(own.code).toBe(11);
    expect(own.stderr).toContain('refused (OwnRequest)');
    expect(standIn.account.service('sfn').answered(b.token)).toBe(false);
    // a rejection needs a reason before anything is sent
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    for (const r of [approved, own, noReason]) expect(r.stderr).not.toContain('internal error');
    // carol's rejection ends c's run with her reason
    expect(rejected.result).toBe(0);
    expect(rejected.stdout).toContain('The run ends: nothing was changed.');
    expect(standIn.account.service('sfn').collect(c.token)).toMatchObject({
      kind: 'failure',
      error: 'ApprovalRejected',
      cause: expect.stringContaining('not during the sale'),
    });
    // a bad signature never reaches the function
    expect(badSignature.error).toMatchObject({
      exitCode: 1,
      message: expect.stringContaining(
        'AWS refused the call (InvalidSignatureException): The request signature we calculated does not match',
      ),
    });
    expect(unknown.error).toMatchObject({
      exitCode: 15,
      message: expect.stringContaining('refused (UnknownRequest)'),
    });
    // what the notice showed is no longer what is there: nothing is sent
    expect(changed.error).toMatchObject({ exitCode: 16, message: expect.stringContaining('SummaryChanged') });
    expect(standIn.account.service('sfn').answered(e.token)).toBe(false);
    // without a terminal, a decision must be confirmed with --yes
    expect(noConfirm.error).toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('add --yes'),
    });
    // carol may still decide b, d, e, f; a and c are closed
    const ids = (JSON.parse(listed.stdout) as { approvals: { approvalId: string }[] }).approvals.map(
      (r) => r.approvalId,
    );
    expect(ids.sort()).toEqual([b.id, d.id, e.id, f.id].sort());
  });

  it('says when Step Functions did not take a decision, and a later call delivers it, deciding nothing', async () => {
    // Given a request, and Step Functions unavailable for the first decision sent to it
    const g = await seed('r7');
    const sfn = standIn.account.service('sfn');
    vi.spyOn(sfn.commands, 'SendTaskSuccess').mockImplementationOnce(() => {
      throw awsError('ServiceUnavailable', 'Service unavailable');
    });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const decide = (out: (line: string) => void) =>
      decideApproval(g.id, { api: standIn.url, decision: 'approve', yes: true }, config, out);

    // When bob approves, and then carol runs the same command
    const first = await inProcess('AKIDBOB', decide);
    const again = await inProcess('AKIDCAROL', decide);

    // Then bob is told it is recorded and not yet taken (exit 1); carol's call is refused, and sends bob's approval
    expect(first.result).toBe(1);
    expect(first.stdout).toContain('Approved as bob@company.com');
    expect(first.stdout).toContain('Step Functions did not take it yet');
    expect(again.error).toMatchObject({
      exitCode: 13,
      message: `refused (RequestClosed): approval ${g.id} is already approved; its outcome had not reached the run, and was sent again (delivered)`,
    });
    expect(sfn.collect(g.token)).toMatchObject({
      kind: 'success',
      output: { approver: 'bob@company.com', approvers: [{ person: 'bob@company.com' }] },
    });
    vi.restoreAllMocks();
  });
});
