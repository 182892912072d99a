// The approval gate's worker (.waitForTaskToken): records the request under an opaque id, keeping
// the task token server-side, and announces it. Whoever decides sends the token's success or failure.
import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { aws } from './errors.ts';
import { publish } from './publish.ts';
import { approvalKey } from './run-state.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

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
    request: z.object({
      procedure: z.string(),
      environment: z.string(),
      service: z.string(),
      image: z.string().nullable(),
      taskDefinition: z.string().nullable(),
      changeRequest: z.string().nullable(),
      reason: z.string().nullable(),
      requestedBy: z.string().nullable(),
      approvers: z.array(z.string()),
    }),
    baseline: z.object({ taskDefinition: z.string(), desiredCount: z.number() }),
  }),
  run: async (
    { table, topicArn, token, executionId, now, timeoutSeconds, request, baseline },
    { dynamodb, sns },
  ) => {
    // Derived from the token, so a redrive or a retried invocation records the same request once.
    const approvalId = createHash('sha256').update(token).digest('hex').slice(0, 20);
    const expiresAt = new Date(Date.parse(now) + timeoutSeconds * 1000).toISOString();
    const change = request.image ? `image ${request.image}` : `task definition ${request.taskDefinition}`;
    await aws('DynamoDB PutItem (approval)', () =>
      dynamodb
        .send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: approvalKey(approvalId) },
              taskToken: { S: token },
              executionId: { S: executionId },
              procedure: { S: request.procedure },
              environment: { S: request.environment },
              service: { S: request.service },
              change: { S: change },
              from: { S: baseline.taskDefinition },
              requestedBy: { S: request.requestedBy ?? 'unknown' },
              approvers: { S: JSON.stringify(request.approvers) },
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
    const lines = [
      `${request.procedure} of ${request.service} in ${request.environment} is waiting for approval.`,
      `Change: ${change} (now running ${baseline.taskDefinition}, ${baseline.desiredCount} tasks).`,
      `Requested by: ${request.requestedBy ?? 'unknown'}; change request: ${request.changeRequest ?? 'none'}; reason: ${request.reason ?? 'none'}.`,
      `Approvers: ${request.approvers.join(', ') || 'anyone allowed by IAM'}. Expires at ${expiresAt}.`,
      `Approval id: ${approvalId}. The approval service records the decision (verified identity) and resumes the run.`,
    ];
    await publish(sns, {
      topicArn,
      event: 'approval-needed',
      severity: 'info',
      subject: `Approval needed: ${request.service} in ${request.environment}`,
      lines,
    });

    return { approvalId, expiresAt };
  },
});

export const handler = lambdaHandler(requestApproval);
