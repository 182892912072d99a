// `runbook approvals`, `runbook approve <id>`, `runbook reject <id> --reason ...`: the decision API,
// called with the caller's own AWS credentials (environment, profile, SSO), every request signed with
// SigV4. The approver is whoever those credentials are; the API decides what they may do.
// Exit codes: 0 done, 1 the API could not be reached or the run no longer waits, 2 usage, and each
// refusal its own (tasks/approvals/rules.ts: 10 not an approver ... 18 starter not known yet).
import { createHash, createHmac } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Config } from '../infra/config.ts';
import type { ApprovalRequest } from '../tasks/approvals/request.ts';
import { REFUSALS, type RefusalCode } from '../tasks/approvals/rules.ts';
import { printable } from '../tasks/printable.ts';
import { UsageError } from './usage.ts';

/** SHA-256 and HMAC-SHA-256 for the SigV4 signer, from node:crypto. */
type Bytes = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Bytes): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
export class Sha256 {
  private readonly hash;
  constructor(secret?: Bytes) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Bytes): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface ApiOptions {
  /** The API's base URL (the stack output), else RUNBOOK_APPROVALS_API, else the stack's outputs (ApprovalsApiEndpoint). */
  readonly api?: string;
  readonly profile?: string;
}

/** A request as the API shows it. */
type Shown = Pick<
  ApprovalRequest,
  'approvalId' | 'status' | 'summary' | 'summaryHash' | 'rule' | 'expiresAt' | 'decisions'
> & {
  readonly mayDecide?: boolean;
};

/** What the API answered that is not a success: a refusal with its code, or a failure to reach it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The decision API of a config's stack: the flag, the environment, or the stack's outputs (ApprovalsApiEndpoint). */
async function apiUrl(options: ApiOptions, config: Config): Promise<URL> {
  const given = options.api ?? process.env.RUNBOOK_APPROVALS_API;
  if (given) {
    try {
      return new URL(given.endsWith('/') ? given : `${given}/`);
    } catch {
      throw new UsageError(`--api: '${printable(given)}' is not a URL`);
    }
  }
  const cloudformation = new CloudFormationClient({
    region: config.region,
    credentials: fromNodeProviderChain({ profile: options.profile }),
  });
  const found = await cloudformation
    .send(new DescribeStacksCommand({ StackName: config.stackName }))
    .catch((error: Error) => {
      throw new ApiError(
        `cannot read the outputs of stack ${config.stackName}: ${error.message} (or give --api)`,
        1,
      );
    });
  const output = found.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey?.startsWith('ApprovalsApiEndpoint'));
  if (!output?.OutputValue)
    throw new ApiError(`stack ${config.stackName} has no approvals API output (give --api)`, 1);
  return new URL(output.OutputValue);
}

/** One signed call to the API: its JSON answer, or an ApiError with the refusal's exit code. */
async function call(
  options: ApiOptions,
  config: Config,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const url = new URL(path, await apiUrl(options, config));
  const signer = new SignatureV4({
    service: 'execute-api',
    region: config.region,
    credentials: fromNodeProviderChain({ profile: options.profile }),
    sha256: Sha256,
  });
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const signed = await signer
    .sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: { host: url.host, ...(payload && { 'content-type': 'application/json' }) },
      body: payload,
    })
    .catch((error: Error) => {
      throw new ApiError(`no AWS credentials to sign with: ${error.message}`, 1);
    });
  const response = await fetch(url, {
    method,
    headers: signed.headers as Record<string, string>,
    body: payload,
  }).catch((error: Error) => {
    throw new ApiError(`cannot reach the approvals API at ${url.origin}: ${error.message}`, 1);
  });
  const text = await response.text();
  let answer: Record<string, unknown> = {};
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // API Gateway's own answers are JSON too; anything else is shown as it came.
    answer = { message: text };
  }
  if (response.ok) return answer;
  const code = String(answer.error ?? '');
  const message = printable(String(answer.message ?? answer.Message ?? text));
  if (Object.hasOwn(REFUSALS, code))
    throw new ApiError(`refused (${code}): ${message}`, REFUSALS[code as RefusalCode].exit);
  // API Gateway itself refused: the caller may not invoke the API (not an approver), or the call's
  // credentials, signature or URL are wrong (a problem of this machine, exit 1).
  if (response.status === 403) {
    const type = (response.headers.get('x-amzn-errortype') ?? '').split(':')[0] ?? '';
    if (type === 'AccessDeniedException')
      throw new ApiError(`AWS refused the call: ${message}`, REFUSALS.NotAnApprover.exit);
    throw new ApiError(`AWS refused the call (${printable(type || 'no error type')}): ${message}`, 1);
  }
  if (response.status === 400) throw new UsageError(message);
  throw new ApiError(`the approvals API answered ${response.status}: ${message}`, 1);
}

const shownRequest = (r: Shown): string => {
  const s = r.summary;
  const p = (value: string | null | undefined) => printable(value ?? 'none');
  return [
    `Approval ${p(r.approvalId)}: ${p(s.procedure)} of ${p(s.target)} in ${p(s.environment)} (${p(r.status)})`,
    `  ${p(s.change)} (now ${p(s.from)}${s.fromDetail ? `, ${p(s.fromDetail)}` : ''})`,
    ...(s.snapshot ? [`  backup before the change: ${p(s.snapshot)}`] : []),
    `  requested by ${p(s.requestedBy ?? 'unknown')}; change request ${p(s.changeRequest)}; reason: ${p(s.reason)}`,
    `  needs ${r.rule.required} approval${r.rule.required === 1 ? '' : 's'}; ${r.decisions.length} decision${r.decisions.length === 1 ? '' : 's'} so far; expires ${p(r.expiresAt)}`,
    `  summary ${p(r.summaryHash.slice(0, 12))}`,
  ].join('\n');
};

/** `runbook approvals`: what the caller may decide now. */
export async function listApprovals(
  options: ApiOptions & { json: boolean },
  config: Config,
  out: (s: string) => void,
) {
  const { approvals } = (await call(options, config, 'GET', 'approvals')) as { approvals: Shown[] };
  if (options.json) out(JSON.stringify({ approvals }, null, 2));
  else if (approvals.length === 0) out('No approval request waits for you.');
  else
    for (const r of approvals)
      out(
        `${shownRequest(r)}\n  decide: runbook approve ${r.approvalId}   or   runbook reject ${r.approvalId} --reason "..."\n`,
      );
}

export interface DecideOptions extends ApiOptions {
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
  /** The summary hash (or its first 12 digits) the caller saw in the notice: refused if the request changed since. */
  readonly hash?: string;
  /** Decide without asking to confirm (needed without a terminal). */
  readonly yes: boolean;
}

/** `runbook approve|reject <id>`: shows the request, confirms, and decides on exactly what was shown. */
export async function decideApproval(
  id: string,
  options: DecideOptions,
  config: Config,
  out: (s: string) => void,
): Promise<number> {
  if (!/^[0-9a-f]{20}$/.test(id))
    throw new UsageError(`'${printable(id)}' is not an approval id (20 hex digits)`);
  if (options.decision === 'reject' && !options.comment?.trim())
    throw new UsageError('--reason: a rejection needs a reason');
  const request = (await call(options, config, 'GET', `approvals/${id}`)) as Shown;
  out(shownRequest(request));
  if (options.hash !== undefined && !/^[0-9a-fA-F]{12,64}$/.test(options.hash))
    throw new UsageError('--hash: the summary hash the notice showed, at least its first 12 hex digits');
  if (options.hash !== undefined && !request.summaryHash.startsWith(options.hash.toLowerCase()))
    throw new ApiError(
      `refused (SummaryChanged): approval ${id} is not what you saw (summary ${printable(options.hash)}, now ${request.summaryHash.slice(0, 12)}): read it again`,
      REFUSALS.SummaryChanged.exit,
    );
  if (!options.yes && !(await confirmed(options.decision))) throw new UsageError('nothing was decided');
  const answer = (await call(options, config, 'POST', `approvals/${id}/decision`, {
    decision: options.decision,
    summaryHash: request.summaryHash,
    ...(options.comment?.trim() && { comment: options.comment.trim() }),
  })) as {
    status: string;
    remaining: number;
    delivery: 'delivered' | 'ended' | 'failed' | null;
    decisions: { person: string; arn: string }[];
  };
  const me = answer.decisions.at(-1);
  const verb = options.decision === 'approve' ? 'Approved' : 'Rejected';
  out(`${verb} as ${printable(me?.person ?? '?')} (${printable(me?.arn ?? '?')}).`);
  if (answer.remaining > 0) {
    out(`${answer.remaining} more approval${answer.remaining === 1 ? '' : 's'} needed.`);
    return 0;
  }
  if (answer.delivery === 'ended') {
    out(
      'Recorded, but Step Functions no longer waits on this request: look at the run (it ended, or its wait expired).',
    );
    return 1;
  }
  if (answer.delivery === 'failed') {
    out(
      'Recorded, but Step Functions did not take it yet: the approval service sends it again within 5 minutes.',
    );
    return 1;
  }
  out(answer.status === 'approved' ? 'The run resumes.' : 'The run ends: nothing was changed.');
  return 0;
}

/** Asks yes or no (whole words) on the terminal; no terminal means no confirmation. */
async function confirmed(decision: 'approve' | 'reject'): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new UsageError('no terminal to confirm on: read the request above and add --yes');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (
        await rl.question(`${decision === 'approve' ? 'Approve' : 'Reject'} this request? (yes/no) `)
      )
        .trim()
        .toLowerCase();
      if (answer === 'yes' || answer === 'y') return true;
      if (answer === 'no' || answer === 'n') return false;
    }
  } finally {
    rl.close();
  }
}
