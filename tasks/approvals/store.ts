// One request of the approvals table: read it (with its task token), write it over the version it was
// read at, append a refused attempt to it. The gate's worker, the decision API and the reminders share it.
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { aws, rethrowAws } from '../errors.ts';
import { approvalKey } from '../run-state.ts';
import { type ApprovalRequest, fromItem, MAX_REFUSALS, type Refusal, toItem } from './request.ts';

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

/**
 * Writes the request over the version it was read at; false if someone wrote in between. Its refused
 * attempts are left as they are: appendRefusal adds to them without a version, so refused calls never
 * make a real decision retry.
 */
export async function writeRequest(
  dynamodb: DynamoDBClient,
  table: string,
  request: ApprovalRequest,
  token: string,
  readVersion: number,
): Promise<boolean> {
  const item: Record<string, AttributeValue> = { ...toItem(request), taskToken: { S: token } };
  const { pk, refusals: _appendedElsewhere, ...fields } = item;
  const names = Object.keys(fields);
  const set = names.map((_, i) => `#f${i} = :f${i}`).join(', ');
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: pk as AttributeValue },
        UpdateExpression: request.delivery === null ? `SET ${set} REMOVE #delivered` : `SET ${set}`,
        ConditionExpression: '#version = :read',
        ExpressionAttributeNames: {
          '#version': 'version',
          ...(request.delivery === null && { '#delivered': 'delivery' }),
          ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
        },
        ExpressionAttributeValues: {
          ':read': { N: String(readVersion) },
          ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n] as AttributeValue])),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    rethrowAws(error, 'DynamoDB UpdateItem (approval)');
  }
}

/**
 * Records a refused attempt on the request, whatever its version (an atomic append); false when the
 * request is gone or already keeps MAX_REFUSALS of them (the decision API's log line is then the record).
 */
export async function appendRefusal(
  dynamodb: DynamoDBClient,
  table: string,
  approvalId: string,
  refusal: Refusal,
): Promise<boolean> {
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: approvalKey(approvalId) } },
        UpdateExpression: 'SET #refusals = list_append(#refusals, :refusal)',
        ConditionExpression: 'attribute_exists(pk) AND size(#refusals) < :max',
        ExpressionAttributeNames: { '#refusals': 'refusals' },
        ExpressionAttributeValues: {
          ':refusal': { L: [{ S: JSON.stringify(refusal) }] },
          ':max': { N: String(MAX_REFUSALS) },
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    rethrowAws(error, 'DynamoDB UpdateItem (approval refusal)');
  }
}
