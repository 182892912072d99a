// The approval service's operations over the approvals table and Step Functions: list what a caller
// may decide, read one request, and decide one. The decision API (approval-api.ts) serves them on AWS; the
// rehearsal calls the same functions with the simulated account's clients.
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { aws } from '../errors.ts';
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
import { readRequest, scanPending, writeRequest } from './store.ts';

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
  /** False when the run no longer waits for this request (it ended, or its token was replaced and not yet recorded). */
  readonly delivered: boolean;
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
  return (await scanPending(dynamodb, table)).map((p) => p.request).filter((r) => open(r, caller, now));
}

/**
 * Decides one request as the caller: refusals are recorded on the request and thrown as Refused; a
 * decision that closes the request resumes the run (SendTaskSuccess, or SendTaskFailure with
 * ApprovalRejected) with the newest token the gate recorded.
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
    // Who started the run, once CloudTrail has it: kept on the request, so it is looked up once.
    // Asked only for an attempt that nothing else refuses: anyone's call must not spend the lookups.
    const request =
      found.request.startedBy === null && standing(found.request, attempt.caller, attempt.now) === null
        ? {
            ...found.request,
            startedBy: await startedBy(
              clients.cloudtrail,
              found.request.executionId,
              found.request.requestedAt,
            ),
          }
        : found.request;
    const verdict = decide(request, attempt);
    if (!(await writeRequest(clients.dynamodb, table, verdict.request, found.token, found.request.version)))
      continue;
    if (verdict.kind === 'refused') throw new Refused(verdict.code, verdict.message);
    const delivered =
      verdict.remaining === 0 ? await resume(clients, table, verdict.request, found.token) : true;
    return { request: verdict.request, remaining: verdict.remaining, delivered };
  }
  throw new Error(`approval ${approvalId} kept changing while it was decided; try again`);
}

/** Sends the closed request's outcome to the run, following the gate to a newer token once if it retried. */
async function resume(clients: DecisionClients, table: string, request: ApprovalRequest, token: string) {
  const send = (taskToken: string) =>
    request.status === 'approved'
      ? clients.sfn.send(
          new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(approvedOutput(request)) }),
        )
      : clients.sfn.send(new SendTaskFailureCommand({ taskToken, ...rejectedFailure(request) }));
  const gone = (error: unknown) =>
    ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes((error as Error).name);
  try {
    await aws('Step Functions SendTask (approval)', () => send(token));
    return true;
  } catch (error) {
    if (!gone(error)) throw error;
    const again = await readRequest(clients.dynamodb, table, request.approvalId);
    // A newer token only of the same closed request: one the gate opened again is decided anew.
    const same =
      again?.request.status === request.status &&
      JSON.stringify(again.request.decisions) === JSON.stringify(request.decisions);
    if (!again || again.token === token || !same) return false;
    try {
      await aws('Step Functions SendTask (approval)', () => send(again.token));
      return true;
    } catch (retry) {
      if (gone(retry)) return false;
      throw retry;
    }
  }
}
