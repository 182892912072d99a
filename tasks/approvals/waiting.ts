// The requests of the approvals table still waiting for something: a decision (pending), or the
// delivery of one to its run. The decision API lists and delivers them, the reminders remind of them.
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { aws } from '../errors.ts';
import { approvalKey } from '../run-state.ts';
import { type ApprovalRequest, fromItem } from './request.ts';

/**
 * The requests still waiting for something, with their task tokens (every page of the Scan is read):
 * the pending ones, and with `undelivered` also the decided ones whose outcome has not reached the run.
 */
export async function scanWaiting(
  dynamodb: DynamoDBClient,
  table: string,
  { undelivered = false } = {},
): Promise<{ request: ApprovalRequest; token: string }[]> {
  const found: { request: ApprovalRequest; token: string }[] = [];
  const approval = 'begins_with(pk, :approval)';
  let start: Record<string, AttributeValue> | undefined;
  do {
    const exclusiveStart = start;
    const page = await aws('DynamoDB Scan (approvals)', () =>
      dynamodb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: undelivered
            ? [
                ':pending',
                ':approved AND attribute_not_exists(delivery)',
                ':rejected AND attribute_not_exists(delivery)',
              ]
                .map((status) => `${approval} AND #status = ${status}`)
                .join(' OR ')
            : `${approval} AND #status = :pending`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':approval': { S: approvalKey('') },
            ':pending': { S: 'pending' },
            ...(undelivered && { ':approved': { S: 'approved' }, ':rejected': { S: 'rejected' } }),
          },
          ConsistentRead: true,
          ...(exclusiveStart && { ExclusiveStartKey: exclusiveStart }),
        }),
      ),
    );
    for (const item of page.Items ?? [])
      found.push({ request: fromItem(item), token: item.taskToken?.S ?? '' });
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort((a, b) => a.request.requestedAt.localeCompare(b.request.requestedAt));
}
