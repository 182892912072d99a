// The one way a lock item is given back: deleted only on the condition that the run still owns it.
import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rethrowAws } from './errors.ts';

/** Deletes the lock `key` where `owner` holds it; false where another run (or nobody) does. */
export async function deleteOwnedLock(
  dynamodb: DynamoDBClient,
  table: string,
  key: string,
  owner: string,
): Promise<boolean> {
  try {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: { S: key } },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: owner } },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    rethrowAws(error, 'DynamoDB DeleteItem (lock)');
  }
}
