// After the gate: the approval the run resumed with must be the approval service's own. The task
// token is in the execution's history and logs (the gate's parameters), and SendTaskSuccess cannot be
// scoped to a token, so anyone allowed to call it could resume the gate with a forged "approved".
// This step reads the request the gate recorded and accepts only what the rules decided there.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ApprovalRejected, aws } from '../errors.ts';
import { approvalKey } from '../run-state.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { approvalIdOf, fromItem } from './request.ts';

export const verifyApproval = defineWorker({
  name: 'verify-approval',
  entry: import.meta.url,
  actions: ['dynamodb:GetItem'],
  input: z.object({
    table: z.string().min(1),
    executionId: z.string().min(1),
    /** The gate's state name. */
    gate: z.string().min(1),
    /** What the run resumed with (the gate's output). */
    approval: z.object({ approvalId: z.unknown(), summaryHash: z.unknown() }).passthrough(),
  }),
  run: async ({ table, executionId, gate, approval }, { dynamodb }) => {
    const approvalId = approvalIdOf(executionId, gate);
    const found = await aws('DynamoDB GetItem (approval)', () =>
      dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: approvalKey(approvalId) } },
          ConsistentRead: true,
        }),
      ),
    );
    const refuse = (why: string): never => {
      throw new ApprovalRejected(`The approval was not the approval service's: ${why}; nothing was changed.`);
    };
    if (!found.Item) return refuse(`no request ${approvalId} was recorded for this run`);
    const request = fromItem(found.Item);
    const approvals = request.decisions.filter((d) => d.decision === 'approve');
    if (request.status !== 'approved') refuse(`request ${approvalId} is ${request.status}`);
    if (approvals.length < request.rule.required)
      refuse(`request ${approvalId} has ${approvals.length} of ${request.rule.required} approvals`);
    if (approval.approvalId !== approvalId || approval.summaryHash !== request.summaryHash)
      refuse(`the decision names another request or summary than ${approvalId}`);
    return { approvalId, approvers: approvals.map((d) => d.person) };
  },
  summarize: (r) => `approved by ${r.approvers.join(', ')}`,
});

export const handler = lambdaHandler(verifyApproval);
