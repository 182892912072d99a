// The approval gate's worker (.waitForTaskToken): records the request (a summary of what changes, from
// what to what) under an opaque id, keeping the task token server-side, and announces it. Whoever
// decides sends the token's success or failure.
import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { aws } from './errors.ts';
import { publish } from './publish.ts';
import { approvalKey } from './run-state.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

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
  approvers: z.array(z.string()),
});
export type ApprovalSummary = z.infer<typeof ApprovalSummarySchema>;

export const requestApproval = defineWorker({
  name: 'request-approval',
  entry: import.meta.url,
  actions: ['dynamodb:PutItem', 'sns:Publish'],
  input: z.object({
    table: z.string().min(1),
    topicArn: z.string().min(1),
    token: z.string().min(1),
    executionId: z.string().min(1),
    now: z.string().min(1),
    timeoutSeconds: z.number().int().min(1),
    summary: ApprovalSummarySchema,
  }),
  run: async ({ table, topicArn, token, executionId, now, timeoutSeconds, summary }, { dynamodb, sns }) => {
    // Derived from the token, so a redrive or a retried invocation records the same request once.
    const approvalId = createHash('sha256').update(token).digest('hex').slice(0, 20);
    const expiresAt = new Date(Date.parse(now) + timeoutSeconds * 1000).toISOString();
    await aws('DynamoDB PutItem (approval)', () =>
      dynamodb
        .send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: approvalKey(approvalId) },
              taskToken: { S: token },
              executionId: { S: executionId },
              procedure: { S: summary.procedure },
              environment: { S: summary.environment },
              target: { S: summary.target },
              change: { S: summary.change },
              from: { S: summary.from },
              requestedBy: { S: summary.requestedBy ?? 'unknown' },
              approvers: { S: JSON.stringify(summary.approvers) },
              status: { S: 'pending' },
              requestedAt: { S: now },
              expiresAt: { S: expiresAt },
              ttl: { N: String(Math.floor(Date.parse(expiresAt) / 1000) + 90 * 86400) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .catch((error: Error) => {
          if (error.name !== 'ConditionalCheckFailedException') throw error;
        }),
    );
    const from = summary.fromDetail ? `${summary.from}, ${summary.fromDetail}` : summary.from;
    const lines = [
      `${summary.procedure} of ${summary.target} in ${summary.environment} is waiting for approval.`,
      `Change: ${summary.change} (now running ${from}).`,
      `Requested by: ${summary.requestedBy ?? 'unknown'}; change request: ${summary.changeRequest ?? 'none'}; reason: ${summary.reason ?? 'none'}.`,
      `Approvers: ${summary.approvers.join(', ') || 'anyone allowed by IAM'}. Expires at ${expiresAt}.`,
      `Approval id: ${approvalId}. The approval service records the decision (verified identity) and resumes the run.`,
    ];
    await publish(sns, {
      topicArn,
      event: 'approval-needed',
      severity: 'info',
      subject: `Approval needed: ${summary.target} in ${summary.environment}`,
      lines,
    });

    return { approvalId, expiresAt, summary };
  },
});

export const handler = lambdaHandler(requestApproval);
