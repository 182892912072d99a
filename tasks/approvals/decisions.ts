// The approval service's operations over the approvals table and Step Functions: list what a caller
// may decide, read one request, and decide one. The decision API (approval-api.ts) serves them on AWS; the
// rehearsal calls the same functions with the simulated account's clients.
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Identity } from './identity.ts';
import type { ApprovalRequest } from './request.ts';
import {
  type Attempt,
  approvedOutput,
  decide,
  type RefusalCode,
  rejectedFailure,
  standing,
} from './rules.ts';
import { startedBy } from './starter.ts';
import { appendRefusal, readRequest, writeRequest } from './store.ts';
import { scanWaiting } from './waiting.ts';

export interface DecisionClients {
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly cloudtrail: CloudTrailClient;
}

/** A request as a caller sees it: never the task token. */
export interface RequestView {
  readonly request: ApprovalRequest;
  /** Whether this caller may decide it now. */
  readonly mayDecide: boolean;
}

/** A refusal of the service, with the code the API and the CLI report. */
export class Refused extends Error {
  override readonly name = 'Refused';
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a decision did. */
export interface Outcome {
  readonly request: ApprovalRequest;
  /** Approvals still needed; 0 once the request is closed. */
  readonly remaining: number;
  /**
   * For a closed request, what became of its outcome: the run took it (`delivered`), the run no
   * longer waited for it (`ended`), or Step Functions did not answer (`failed`: it is sent again
   * by the next call or the delivery schedule). Null while more approvals are needed.
   */
  readonly delivery: 'delivered' | 'ended' | 'failed' | null;
}

/** Writes made between our read and our write are retried on the newer version this many times. */
const WRITE_ATTEMPTS = 3;

/** One request as the caller sees it; reading never decides. */
export async function getRequest(
  { dynamodb }: DecisionClients,
  table: string,
  approvalId: string,
  caller: Identity,
  now: string,
): Promise<RequestView> {
  const found = await readRequest(dynamodb, table, approvalId);
  if (!found) throw new Refused('UnknownRequest', `no approval ${approvalId}`);
  return { request: found.request, mayDecide: open(found.request, caller, now) };
}

const open = (request: ApprovalRequest, caller: Identity, now: string) =>
  standing(request, caller, now) === null;

/** The pending requests this caller may decide now, oldest first. */
export async function listPending(
  { dynamodb }: DecisionClients,
  table: string,
  caller: Identity,
  now: string,
): Promise<ApprovalRequest[]> {
  return (await scanWaiting(dynamodb, table)).map((p) => p.request).filter((r) => open(r, caller, now));
}

/** Decided, and its outcome not yet taken by the run, nor known to be unwanted. */
const undelivered = (r: ApprovalRequest) => r.status !== 'pending' && r.status !== 'expired' && !r.delivery;

/**
 * Decides one request as the caller: refusals are recorded on the request and thrown as Refused; a
 * decision that closes the request resumes the run (SendTaskSuccess, or SendTaskFailure with
 * ApprovalRejected) with the newest token the gate recorded. A request decided before whose outcome
 * never reached the run (Step Functions did not answer) has that outcome sent again, whoever calls.
 */
export async function submitDecision(
  clients: DecisionClients,
  table: string,
  approvalId: string,
  attempt: Attempt,
): Promise<Outcome> {
  for (let i = 0; i < WRITE_ATTEMPTS; i++) {
    const found = await readRequest(clients.dynamodb, table, approvalId);
    if (!found) throw new Refused('UnknownRequest', `no approval ${approvalId}`);
    if (undelivered(found.request)) {
      // Decided before, and not taken by the run: sent now, whoever calls; this call decides nothing.
      const delivery = await deliver(clients, table, found, attempt.now);
      const message = `approval ${approvalId} is already ${found.request.status}; its outcome had not reached the run, and was sent again (${delivery === 'failed' ? 'Step Functions did not take it yet' : delivery})`;
      await appendRefusal(clients.dynamodb, table, approvalId, {
        arn: attempt.caller.arn,
        at: attempt.now,
        code: 'RequestClosed',
        message,
      });
      throw new Refused('RequestClosed', message);
    }
    // Who started the run, once CloudTrail has it: kept on the request, so it is looked up once.
    // Asked only for an attempt that nothing else refuses: anyone's call must not spend the lookups.
    const request =
      found.request.startedBy === null && standing(found.request, attempt.caller, attempt.now) === null
        ? {
            ...found.request,
            startedBy: await startedBy(
              clients.cloudtrail,
              found.request.executionId,
              found.request.runStartedAt,
            ),
          }
        : found.request;
    const verdict = decide(request, attempt);
    if (verdict.kind === 'refused') {
      if (request.startedBy !== found.request.startedBy)
        await writeRequest(
          clients.dynamodb,
          table,
          { ...request, version: request.version + 1 },
          found.token,
          found.request.version,
        );
      // Appended whatever the version: a flood of refused calls never makes a real decision retry.
      await appendRefusal(clients.dynamodb, table, approvalId, verdict.refusal);
      throw new Refused(verdict.code, verdict.message);
    }
    if (!(await writeRequest(clients.dynamodb, table, verdict.request, found.token, found.request.version)))
      continue;
    const delivery =
      verdict.remaining === 0
        ? await deliver(clients, table, { request: verdict.request, token: found.token }, attempt.now)
        : null;
    return { request: verdict.request, remaining: verdict.remaining, delivery };
  }
  throw new Error(`approval ${approvalId} kept changing while it was decided; try again`);
}

/**
 * Sends every decided outcome that has not reached its run again (the delivery schedule); how many
 * did what. One request's failure is counted and logged, and the others are still sent.
 */
export async function redeliver(clients: DecisionClients, table: string, now: string) {
  const counts = { delivered: 0, ended: 0, failed: 0 };
  for (const found of await scanWaiting(clients.dynamodb, table, { undelivered: true })) {
    if (!undelivered(found.request)) continue;
    const result = await deliver(clients, table, found, now).catch((error: Error) => {
      console.warn(
        JSON.stringify({ undelivered: found.request.approvalId, error: error.name, message: error.message }),
      );
      return 'failed' as const;
    });
    counts[result]++;
  }
  return counts;
}

const gone = (error: unknown) =>
  ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes((error as Error).name);

/**
 * Sends a closed request's outcome to its run and records what became of it. When Step Functions
 * does not answer, nothing is recorded: the request stays waiting for delivery. When the token is
 * gone, the run no longer waits on it (it ended, or another delivery got there first, whose record
 * stands). The token is the one recorded with the decision: a decision is written only over the
 * version it read, and a gate that asks again opens the request anew, so no newer token can be this
 * decision's.
 */
async function deliver(
  clients: DecisionClients,
  table: string,
  found: { request: ApprovalRequest; token: string },
  now: string,
): Promise<'delivered' | 'ended' | 'failed'> {
  const { request, token } = found;
  const settle = async (on: { request: ApprovalRequest; token: string }, result: 'delivered' | 'ended') => {
    const settled = { ...on.request, delivery: { at: now, result }, version: on.request.version + 1 };
    await writeRequest(clients.dynamodb, table, settled, on.token, on.request.version);
    return result;
  };
  try {
    await (request.status === 'approved'
      ? clients.sfn.send(
          new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(approvedOutput(request)) }),
        )
      : clients.sfn.send(new SendTaskFailureCommand({ taskToken: token, ...rejectedFailure(request) })));
    return settle(found, 'delivered');
  } catch (error) {
    if (!gone(error)) {
      // Never with the token: only what failed.
      console.warn(
        JSON.stringify({
          undelivered: request.approvalId,
          error: (error as Error).name,
          message: (error as Error).message,
        }),
      );
      return 'failed';
    }
  }
  const again = await readRequest(clients.dynamodb, table, request.approvalId);
  if (again?.request.delivery) return again.request.delivery.result;
  // Marked only while the request is still this decision's (not opened again by the gate).
  if (!again || again.token !== token || again.request.status !== request.status) return 'ended';
  return settle(again, 'ended');
}
