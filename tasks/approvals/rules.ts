// The decision rules of the approval service, as one pure function: the same rules decide on AWS (the
// decision API) and in the rehearsal (simulated identities against the simulated table).
import { type Identity, identityOf, matchesPattern, samePerson } from './identity.ts';
import type { ApprovalRequest, Decision, Refusal } from './request.ts';

/** Every way a decision is refused: the HTTP status of the decision API and the CLI's exit code. */
export const REFUSALS = {
  NotAnApprover: { http: 403, exit: 10 },
  OwnRequest: { http: 403, exit: 11 },
  AlreadyDecided: { http: 409, exit: 12 },
  RequestClosed: { http: 409, exit: 13 },
  RequestExpired: { http: 410, exit: 14 },
  UnknownRequest: { http: 404, exit: 15 },
  SummaryChanged: { http: 409, exit: 16 },
  ReasonRequired: { http: 400, exit: 17 },
  StarterUnknown: { http: 409, exit: 18 },
} as const;
export type RefusalCode = keyof typeof REFUSALS;

/** A decision as the caller sends it; who they are comes from the authenticated caller. */
export interface Attempt {
  readonly caller: Identity;
  readonly decision: 'approve' | 'reject';
  /** The summary hash the caller was shown. */
  readonly summaryHash: string;
  /** A comment on an approval, the reason of a rejection. */
  readonly comment: string | null;
  readonly now: string;
}

/** What a decision did: refused (with the entry to record on the request), or recorded and, when final, what to send Step Functions. */
export type Verdict =
  | {
      readonly kind: 'refused';
      readonly code: RefusalCode;
      readonly message: string;
      readonly refusal: Refusal;
    }
  | {
      readonly kind: 'recorded';
      readonly request: ApprovalRequest;
      /** Approvals still needed; 0 once approved or rejected. */
      readonly remaining: number;
    };

/** Whether an approver pattern of the request names the caller and no never-approver pattern does. */
export const mayDecide = (request: ApprovalRequest, caller: Identity) =>
  request.rule.approvers.some((p) => matchesPattern(p, caller)) &&
  !request.rule.neverApprovers.some((p) => matchesPattern(p, caller, true));

/** A person's own identity: an IAM user, or an IAM Identity Center session (its name is the person). */
const personal = (i: Identity) =>
  i.kind === 'user' || (i.kind === 'assumed-role' && i.principal.startsWith('AWSReservedSSO_'));

/**
 * How the caller is who asked for the change, if they are: whoever the input claims, or who started
 * the run (verified, from CloudTrail), also as the same person under another of their roles.
 */
export function asRequester(request: ApprovalRequest, caller: Identity): 'claimed' | 'started' | null {
  const claimed = request.summary.requestedBy;
  if (claimed !== null && (samePerson(claimed, caller.person) || samePerson(claimed, caller.arn)))
    return 'claimed';
  const starter = request.startedBy === null ? null : identityOf(request.startedBy);
  if (starter === null) return null;
  const same =
    starter.arn === caller.arn ||
    (personal(starter) && personal(caller) && samePerson(starter.person, caller.person));
  return same ? 'started' : null;
}

type Why = { code: RefusalCode; message: string } | null;

/** Why this caller may not decide this request now, whatever they send; null if they may. */
export function standing(request: ApprovalRequest, caller: Identity, now: string): Why {
  const id = request.approvalId;
  if (request.status !== 'pending')
    return { code: 'RequestClosed', message: `approval ${id} is already ${request.status}` };
  if (Date.parse(now) >= Date.parse(request.expiresAt))
    return { code: 'RequestExpired', message: `approval ${id} expired at ${request.expiresAt}` };
  if (!mayDecide(request, caller))
    return { code: 'NotAnApprover', message: `${caller.arn} may not decide approval ${id}` };
  const own = asRequester(request, caller);
  if (own)
    return {
      code: 'OwnRequest',
      message: `${caller.person} ${own === 'claimed' ? 'requested this change' : 'started this run'} and may not decide it (approval ${id})`,
    };
  if (request.decisions.some((d) => voter(d) === voter(caller)))
    return { code: 'AlreadyDecided', message: `${caller.person} has already decided approval ${id}` };
  return null;
}

/**
 * Who casts a vote: a person (an IAM user, or an IAM Identity Center session, whose name AWS sets),
 * else the role itself, whatever session name its caller chose: one role, one vote.
 */
function voter(who: { arn: string }): string {
  const identity = identityOf(who.arn);
  if (!identity) return who.arn;
  return personal(identity)
    ? `person:${identity.person.toLowerCase()}`
    : `role:${identity.account}:${identity.principal}`;
}

/** Why an attempt is refused, in the order a person would want to hear it; null if it is not. */
function refusal(request: ApprovalRequest, a: Attempt): Why {
  const why = standing(request, a.caller, a.now);
  if (why) return why;
  // Until CloudTrail says who started the run, nobody can tell the requester from an approver.
  if (request.startedBy === null)
    return {
      code: 'StarterUnknown',
      message: `who started ${request.executionId} is not in CloudTrail yet (it delivers within minutes): decide again shortly (approval ${request.approvalId})`,
    };
  if (a.summaryHash !== request.summaryHash)
    return {
      code: 'SummaryChanged',
      message: `approval ${request.approvalId} is not what was shown (summary hash ${a.summaryHash.slice(0, 12)}…): read it again`,
    };
  if (a.decision === 'reject' && !a.comment?.trim())
    return { code: 'ReasonRequired', message: 'a rejection needs a reason' };
  return null;
}

/** Applies one attempt to a request: the request as it must be written, and what it did. */
export function decide(request: ApprovalRequest, a: Attempt): Verdict {
  const refused = refusal(request, a);
  if (refused) return { kind: 'refused', ...refused, refusal: { arn: a.caller.arn, at: a.now, ...refused } };
  const decision: Decision = {
    decision: a.decision,
    arn: a.caller.arn,
    person: a.caller.person,
    at: a.now,
    comment: a.comment?.trim() || null,
  };
  const decisions = [...request.decisions, decision];
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  const status =
    a.decision === 'reject' ? 'rejected' : approvals >= request.rule.required ? 'approved' : 'pending';
  return {
    kind: 'recorded',
    request: { ...request, decisions, status, version: request.version + 1 },
    remaining: status === 'pending' ? request.rule.required - approvals : 0,
  };
}

/** What SendTaskSuccess carries when a request is approved: the gate's output, in the execution history. */
export function approvedOutput(request: ApprovalRequest) {
  const approvals = request.decisions.filter((d) => d.decision === 'approve');
  const last = approvals.at(-1);
  return {
    decision: 'approved' as const,
    approvalId: request.approvalId,
    /** The approver whose decision completed the approval (one word: the Approved? check reads it). */
    approver: last?.person ?? '',
    approvers: approvals.map(({ arn, person, at, comment }) => ({ arn, person, at, comment })),
    decidedAt: last?.at ?? '',
    summaryHash: request.summaryHash,
    requestedAt: request.requestedAt,
    startedBy: request.startedBy,
    /** Attempts refused before (who, when, why): the record an auditor asks for, kept in the history. */
    refused: request.refusals.map(({ arn, at, code }) => ({ arn, at, code })),
  };
}

/** The error and cause SendTaskFailure carries when a request is rejected. */
export function rejectedFailure(request: ApprovalRequest) {
  const rejection = request.decisions.find((d) => d.decision === 'reject');
  return {
    error: 'ApprovalRejected',
    cause: `Rejected by ${rejection?.person ?? 'unknown'} (${rejection?.arn ?? 'unknown'}) at ${rejection?.at ?? 'unknown'}: ${rejection?.comment ?? ''}; nothing was changed (approval ${request.approvalId}${request.refusals.length > 0 ? `; ${request.refusals.length} attempt(s) refused before` : ''}).`,
  };
}
