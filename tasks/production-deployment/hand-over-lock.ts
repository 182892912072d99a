// Before a deployment runs its rollback: writes a single-use token onto the lock it holds, passed only
// in the rollback's input, so that only that rollback can join the lock (a person cannot, by naming
// the deployment as the rollback's parent). A lock that is gone (released by the abandoned-run rule
// after the run was stopped, before someone redrove it) is taken again, as acquire-lock would take
// it; one another run holds now is not: LockHeld.
import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { LockHeld, rethrowAws } from '../errors.ts';
import { LockSchema } from '../schemas/lock.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const handOverLock = defineWorker({
  name: 'hand-over-lock',
  entry: import.meta.url,
  actions: ['dynamodb:UpdateItem'],
  input: z.object({
    table: z.string().min(1),
    lock: LockSchema,
    now: z.string().min(1),
    ttlSeconds: z.number().int().min(60),
  }),
  run: async ({ table, lock, now, ttlSeconds }, { dynamodb }) => {
    const token = randomUUID();
    const expiresAt = String(Math.floor(Date.parse(now) / 1000) + ttlSeconds);
    try {
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: lock.key } },
          // A member that joined before (a rollback of an earlier attempt) has ended: the new token
          // is for the next one. A lock taken again gets the fields acquire-lock gives one, and the
          // rollback gets the lock's whole time again (a redrive may come after it expired).
          UpdateExpression:
            'SET #owner = :owner, joinToken = :token, #procedure = if_not_exists(#procedure, :procedure), ' +
            'acquiredAt = if_not_exists(acquiredAt, :now), expiresAt = :expires, #ttl = :expires REMOVE joinedBy',
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#procedure': 'procedure', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':owner': { S: lock.owner },
            ':token': { S: token },
            ':procedure': { S: lock.procedure },
            ':now': { S: now },
            ':expires': { N: expiresAt },
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException')
        rethrowAws(error, 'DynamoDB UpdateItem (lock)');
      throw new LockHeld(
        `${lock.key} is held by another run now, not ${lock.owner}: cannot hand it over to the rollback`,
      );
    }
    return { token };
  },
});

export const handler = lambdaHandler(handOverLock);
