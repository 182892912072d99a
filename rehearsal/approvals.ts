// Approvals in a rehearsal: simulated people decide through the approval service's own code
// (tasks/approvals/decisions.ts) against the simulated table and Step Functions, so every rule and
// refusal of AWS applies here too. A decision turns into attempts by simulated identities.

import type { ApprovalAttempt, Decider } from '../statemachines/procedure.ts';
import { type Identity, identityOf } from '../tasks/approvals/identity.ts';
import type { ApprovalRequest as StoredRequest } from '../tasks/approvals/request.ts';
import type { Decision } from './types.ts';

/** The attempts a decision stands for: `approve` is as many approvers as the request needs. */
export function attemptsOf(
  decision: Exclude<Decision, { sendTaskSuccess: unknown }>,
  required: number,
): readonly ApprovalAttempt[] {
  if (decision === 'expire') return [];
  if (decision === 'approve')
    return Array.from({ length: required }, (_, i) => ({
      as: i === 0 ? 'approver' : i === 1 ? 'second-approver' : { person: `approver-${i + 1}` },
      decision: 'approve',
    }));
  if (decision === 'reject')
    return [{ as: 'approver', decision: 'reject', comment: 'rejected in the rehearsal' }];
  if ('reject' in decision) return [{ as: 'approver', decision: 'reject', comment: decision.reject }];
  return decision.attempts;
}

/**
 * The simulated identity of a decider: an ARN the first approver pattern matches with its `*` filled
 * in (the person as the session name; for the starter, the person who started the run), or, for a
 * non-approver, a developer role no pattern names.
 */
export function simulatedIdentity(decider: Decider, request: StoredRequest, startedBy: string): Identity {
  const person =
    typeof decider === 'object'
      ? decider.person
      : decider === 'second-approver'
        ? 'approver-2'
        : decider === 'requester'
          ? (request.summary.requestedBy ?? 'requester')
          : decider === 'starter'
            ? (identityOf(startedBy)?.person ?? 'starter')
            : decider === 'non-approver'
              ? 'outsider'
              : 'approver-1';
  const approver = fill(request.rule.approvers[0] ?? '', person);
  const account = identityOf(approver)?.account ?? '000000000000';
  const arn =
    decider === 'non-approver'
      ? `arn:aws:sts::${account}:assumed-role/RehearsalDeveloper/${person}`
      : approver;
  const identity = identityOf(arn);
  if (!identity) throw new Error(`cannot make a simulated identity of ${arn}`);
  return identity;
}

/** A pattern with its last wildcard segment (the person) and any other `*` filled in. */
export function fill(pattern: string, person: string): string {
  const parts = pattern.split('/');
  const last = parts.length - 1;
  return parts
    .map((part, i) => (i === last && part === '*' ? person : part.replaceAll('*', 'rehearsal')))
    .join('/');
}
