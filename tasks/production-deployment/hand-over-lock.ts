// Before a deployment runs its rollback: writes a single-use token onto the lock it holds, passed only
// in the rollback's input, so that only that rollback can join the lock (a person cannot, by naming
// the deployment as the rollback's parent).
import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { LockHeld, rethrowAws } from '../errors.ts';
import { LockSchema } from '../schemas/lock.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';

export const handOverLock = defineWorker({
  name: 'hand-over-lock',
  entry: import.meta.url,
  actions: ['dynamodb:UpdateItem'],
  input: z.object({ table: z.string().min(1), lock: LockSchema }),
  run: async ({ table, lock }, { dynamodb }) => {
    const token = randomUUID();
    try {
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: lock.key } },
          UpdateExpression: 'SET joinToken = :token',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: lock.owner }, ':token': { S: token } },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException')
        rethrowAws(error, 'DynamoDB UpdateItem (lock)');
      throw new LockHeld(
        `${lock.key} is no longer held by ${lock.owner}: cannot hand it over to the rollback`,
      );
    }
    return { token };
  },
});

export const handler = lambdaHandler(handOverLock);
