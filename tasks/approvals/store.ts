// The approvals table's requests: read one (with its task token), write one over the version it was
// read at, and scan the pending ones. The gate's worker, the decision API and the reminders share it.
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { aws, rethrowAws } from '../errors.ts';
import { approvalKey } from '../run-state.ts';
import { type ApprovalRequest, fromItem, toItem } from './request.ts';

export async function readRequest(
  dynamodb: DynamoDBClient,
  table: string,
  approvalId: string,
): Promise<{ request: ApprovalRequest; token: string } | null> {
  const found = await aws('DynamoDB GetItem (approval)', () =>
    dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: approvalKey(approvalId) } },
        ConsistentRead: true,
      }),
    ),
  );
  if (!found.Item) return null;
  return { request: fromItem(found.Item), token: found.Item.taskToken?.S ?? '' };
}

/** Writes the request over the version it was read at; false if someone wrote in between. */
export async function writeRequest(
  dynamodb: DynamoDBClient,
  table: string,
  request: ApprovalRequest,
  token: string,
  readVersion: number,
): Promise<boolean> {
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...toItem(request), taskToken: { S: token } },
        ConditionExpression: '#version = :read',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':read': { N: String(readVersion) } },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    rethrowAws(error, 'DynamoDB PutItem (approval)');
  }
}

/** Every pending request of the table with its task token (every page of the Scan is read). */
export async function scanPending(
  dynamodb: DynamoDBClient,
  table: string,
): Promise<{ request: ApprovalRequest; token: string }[]> {
  const found: { request: ApprovalRequest; token: string }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const exclusiveStart = start;
    const page = await aws('DynamoDB Scan (approvals)', () =>
      dynamodb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'begins_with(pk, :approval) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':approval': { S: approvalKey('') }, ':pending': { S: 'pending' } },
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
