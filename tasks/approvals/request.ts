// An approval request as the approvals table keeps it: what is being approved (a summary and its
// hash), who may decide it, the task token (server-side only), and every decision and refused attempt.
// One item per request under `approval#<id>`; flat attributes for what tools list, JSON for the rest.
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { approvalKey } from '../run-state.ts';
import * as z from '../zod.ts';

/** What an approver is asked to allow, in any procedure: what changes, from what to what, and why. */
export const ApprovalSummarySchema = z.object({
  procedure: z.string(),
  environment: z.string(),
  /** What is changed (a service, a database, ...). */
  target: z.string(),
  /** The change, in words (e.g. "image …"). */
  change: z.string(),
  /** What the target is now (e.g. the task definition it runs). */
  from: z.string(),
  /** More about `from`, in words (e.g. "3 tasks"). */
  fromDetail: z.string().optional(),
  changeRequest: z.string().nullable(),
  reason: z.string().nullable(),
  requestedBy: z.string().nullable(),
  /** The backup taken before the change, when the procedure takes one. */
  snapshot: z.string().nullable().default(null),
});
export type ApprovalSummary = z.infer<typeof ApprovalSummarySchema>;

/** Who may decide a request, resolved from the config when it was made. */
export const ApprovalRuleSchema = z.object({
  /** ARN patterns of the callers who may decide (tasks/approvals/identity.ts). */
  approvers: z.array(z.string().min(1)).min(1),
  /** How many distinct approvers must approve (M of N). */
  required: z.number().int().min(1),
  /** ARN patterns of callers who never decide, even if an approver pattern names them (CI roles). */
  neverApprovers: z.array(z.string().min(1)).default([]),
});
export type ApprovalRule = z.infer<typeof ApprovalRuleSchema>;

export const DecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  /** The verified caller. */
  arn: z.string(),
  person: z.string(),
  at: z.string(),
  comment: z.string().nullable(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const RefusalSchema = z.object({
  /** The caller's verified ARN. */
  arn: z.string(),
  at: z.string(),
  code: z.string(),
  message: z.string(),
});
export type Refusal = z.infer<typeof RefusalSchema>;

/** When a pending request is announced again, and the on-call paged; and whether each was done. */
export const RemindersSchema = z.object({
  remindAt: z.string().nullable(),
  pageAt: z.string().nullable(),
  reminded: z.boolean(),
  paged: z.boolean(),
});
export type Reminders = z.infer<typeof RemindersSchema>;

/** The fractions of the wait they come at (the environment's policy). */
export const ReminderPolicySchema = z.object({
  remindAt: z.number().gt(0).lt(1).nullable(),
  pageAt: z.number().gt(0).lt(1).nullable(),
});

export const DeliverySchema = z.object({ at: z.string(), result: z.enum(['delivered', 'ended']) });
export type Delivery = z.infer<typeof DeliverySchema>;

export const STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type Status = (typeof STATUSES)[number];

export const ApprovalRequestSchema = z.object({
  approvalId: z.string(),
  executionId: z.string(),
  /** The gate (state) of the execution that asked. */
  gate: z.string(),
  status: z.enum(STATUSES),
  summary: ApprovalSummarySchema,
  /** The hash a decision must name: what the approver saw is what is approved. */
  summaryHash: z.string(),
  rule: ApprovalRuleSchema,
  requestedAt: z.string(),
  expiresAt: z.string(),
  decisions: z.array(DecisionSchema),
  refusals: z.array(RefusalSchema),
  reminders: RemindersSchema,
  /** When the execution started ($$.Execution.StartTime): where CloudTrail has its start. */
  runStartedAt: z.string(),
  /** Who started the execution, as CloudTrail recorded it: null until it is known. */
  startedBy: z.string().nullable(),
  /**
   * What became of a closed request's outcome: the run took it, or the run no longer waited for it;
   * null while it is pending, and while Step Functions has not answered (it is sent again).
   */
  delivery: DeliverySchema.nullable(),
  /** Incremented by every write: a decision is written only over the version it was made on. */
  version: z.number().int(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/** At most this many refused attempts are kept on a request; later ones are only logged (the item stays far below 400 KB). */
export const MAX_REFUSALS = 100;

/** The stable id of a gate's request in an execution: a retry of the gate (a new token) keeps it. */
export const approvalIdOf = (executionId: string, gate: string) =>
  createHash('sha256').update(`${executionId}\n${gate}`).digest('hex').slice(0, 20);

/** JSON with keys sorted at every level: the same content always hashes the same. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** The hash of what is approved: the request's id, its summary, who may decide it and until when. */
export const summaryHashOf = (r: Pick<ApprovalRequest, 'approvalId' | 'summary' | 'rule' | 'expiresAt'>) =>
  createHash('sha256')
    .update(canonical({ approvalId: r.approvalId, summary: r.summary, rule: r.rule, expiresAt: r.expiresAt }))
    .digest('hex');

const JSON_FIELDS = ['summary', 'rule', 'decisions', 'reminders', 'startedBy'] as const;
const STRING_FIELDS = [
  'approvalId',
  'runStartedAt',
  'executionId',
  'gate',
  'status',
  'summaryHash',
  'requestedAt',
  'expiresAt',
] as const;

/** The item of a request, without its task token (written and read only by the gate and the decision). */
export function toItem(r: ApprovalRequest): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: approvalKey(r.approvalId) },
    // Flat copies for people and tools that list the table.
    target: { S: r.summary.target },
    procedure: { S: r.summary.procedure },
    environment: { S: r.summary.environment },
    version: { N: String(r.version) },
    // Kept 90 days past expiry for the record; the execution history keeps the decision too.
    ttl: { N: String(Math.floor(Date.parse(r.expiresAt) / 1000) + 90 * 86400) },
  };
  for (const f of STRING_FIELDS) item[f] = { S: r[f] };
  for (const f of JSON_FIELDS) item[f] = { S: JSON.stringify(r[f]) };
  // A list of its own: a refused attempt is appended to it without rewriting the request (store.ts).
  item.refusals = { L: r.refusals.map((x) => ({ S: JSON.stringify(x) })) };
  // Only once there is one: what waits for delivery is what has none (store.ts scans for it).
  if (r.delivery !== null) item.delivery = { S: JSON.stringify(r.delivery) };
  return item;
}

/** The request an item holds; throws if the item is not one (a hand-edited table). */
export function fromItem(item: Record<string, AttributeValue>): ApprovalRequest {
  const plain: Record<string, unknown> = { version: Number(item.version?.N) };
  for (const f of STRING_FIELDS) plain[f] = item[f]?.S;
  for (const f of JSON_FIELDS) plain[f] = item[f]?.S === undefined ? undefined : JSON.parse(item[f].S);
  plain.refusals = item.refusals?.L?.map((x) => (x.S === undefined ? undefined : JSON.parse(x.S)));
  plain.delivery = item.delivery?.S === undefined ? null : JSON.parse(item.delivery.S);
  return ApprovalRequestSchema.parse(plain);
}
