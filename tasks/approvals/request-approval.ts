// The approval gate's worker (.waitForTaskToken): records the request (a summary of what changes, from
// what to what, its hash, and who may decide) under an id stable for this gate of this execution,
// keeps the task token server-side, and announces the request without it. A retry of the gate brings
// a new token: the same request follows it, so the announced id stays the one to decide.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { aws, TransientAwsError } from '../errors.ts';
import { publish } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  type ApprovalRequest,
  ApprovalRuleSchema,
  ApprovalSummarySchema,
  approvalIdOf,
  ReminderPolicySchema,
  summaryHashOf,
  toItem,
} from './request.ts';
import { readRequest, writeRequest } from './store.ts';

export { type ApprovalSummary, ApprovalSummarySchema } from './request.ts';

export const requestApproval = defineWorker({
  name: 'request-approval',
  entry: import.meta.url,
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sns:Publish'],
  input: z.object({
    table: z.string().min(1),
    topicArn: z.string().min(1),
    token: z.string().min(1),
    executionId: z.string().min(1),
    /** The gate's state name: one request per gate of an execution. */
    gate: z.string().min(1),
    /** When the execution started. */
    runStartedAt: z.string().min(1),
    now: z.string().min(1),
    timeoutSeconds: z.number().int().min(1),
    summary: ApprovalSummarySchema,
    rule: ApprovalRuleSchema,
    reminders: ReminderPolicySchema.default({ remindAt: null, pageAt: null }),
  }),
  run: async (
    {
      table,
      topicArn,
      token,
      executionId,
      gate,
      runStartedAt,
      now,
      timeoutSeconds,
      summary,
      rule,
      reminders,
    },
    { dynamodb, sns },
  ) => {
    const approvalId = approvalIdOf(executionId, gate);
    const earlier = (await readRequest(dynamodb, table, approvalId))?.request ?? null;
    // A pending request keeps its decisions, expiry and hash for the new token. A closed one (decided
    // while the gate's earlier attempt failed) opens again: an approval is never sent to a token it
    // was not given for, so approvers decide again.
    const request: ApprovalRequest =
      earlier?.status === 'pending'
        ? { ...earlier, version: earlier.version + 1 }
        : opened({
            approvalId,
            executionId,
            gate,
            runStartedAt,
            now,
            timeoutSeconds,
            summary,
            rule,
            reminders,
            earlier,
          });
    const changed = () => new TransientAwsError(`approval ${approvalId} changed while the gate recorded it`);
    if (earlier) {
      // Over exactly what was read: a decision written in between makes this attempt fail and retry.
      // Its refused attempts stay as they are (store.ts appends them).
      if (!(await writeRequest(dynamodb, table, request, token, earlier.version))) throw changed();
    } else
      await aws('DynamoDB PutItem (approval)', () =>
        dynamodb
          .send(
            new PutItemCommand({
              TableName: table,
              Item: { ...toItem(request), taskToken: { S: token } },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          )
          .catch((error: Error) => {
            if (error.name !== 'ConditionalCheckFailedException') throw error;
            throw changed();
          }),
      );

    const { expiresAt, summaryHash } = request;
    const from = summary.fromDetail ? `${summary.from}, ${summary.fromDetail}` : summary.from;
    const lines = [
      `${summary.procedure} of ${summary.target} in ${summary.environment} is waiting for approval.`,
      `Change: ${summary.change} (now running ${from}).`,
      summary.snapshot && `Backup before the change: ${summary.snapshot}.`,
      `Requested by: ${summary.requestedBy ?? 'unknown'}; change request: ${summary.changeRequest ?? 'none'}; reason: ${summary.reason ?? 'none'}.`,
      `Needs ${rule.required} approval${rule.required === 1 ? '' : 's'} from: ${rule.approvers.join(', ')}. Expires at ${expiresAt}.`,
      earlier && earlier.status !== 'pending' && `Asked again: the earlier request was ${earlier.status}.`,
      `Approval id: ${approvalId} (summary ${summaryHash.slice(0, 12)}).`,
      `Decide with your own AWS credentials: runbook approve ${approvalId}   or   runbook reject ${approvalId} --reason "..."`,
    ];
    await publish(sns, {
      topicArn,
      event: 'approval-needed',
      severity: 'info',
      subject: `Approval needed: ${summary.target} in ${summary.environment}`,
      lines,
    });
    return { approvalId, expiresAt, summaryHash, required: rule.required, summary };
  },
  summarize: (r) => `approval ${r.approvalId} requested, expires ${r.expiresAt}`,
});

function opened(a: {
  approvalId: string;
  executionId: string;
  gate: string;
  runStartedAt: string;
  now: string;
  timeoutSeconds: number;
  summary: ApprovalRequest['summary'];
  rule: ApprovalRequest['rule'];
  reminders: { remindAt: number | null; pageAt: number | null };
  earlier: ApprovalRequest | null;
}): ApprovalRequest {
  const at = (fraction: number) =>
    new Date(Date.parse(a.now) + a.timeoutSeconds * 1000 * fraction).toISOString();
  const expiresAt = at(1);
  const hashed = { approvalId: a.approvalId, summary: a.summary, rule: a.rule, expiresAt };
  return {
    ...hashed,
    executionId: a.executionId,
    gate: a.gate,
    runStartedAt: a.runStartedAt,
    status: 'pending',
    summaryHash: summaryHashOf(hashed),
    requestedAt: a.now,
    decisions: [],
    refusals: a.earlier?.refusals ?? [],
    reminders: {
      remindAt: a.reminders.remindAt === null ? null : at(a.reminders.remindAt),
      pageAt: a.reminders.pageAt === null ? null : at(a.reminders.pageAt),
      reminded: false,
      paged: false,
    },
    // Who started the run does not change when its gate asks again.
    startedBy: a.earlier?.startedBy ?? null,
    delivery: null,
    version: (a.earlier?.version ?? -1) + 1,
  };
}

export const handler = lambdaHandler(requestApproval);
