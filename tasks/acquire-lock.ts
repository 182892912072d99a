// Takes the target's lock: one run per service. Re-entrant for the same owner (a redrive). A
// deployment's own rollback joins the lock its deployment holds, and is refused if that deployment
// does not hold it. Expires on its own if a run dies without its Catch.
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { aws, LockHeld, rethrowAws } from './errors.ts';
import { LockSchema } from './schemas.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

export const acquireLock = defineWorker({
  name: 'acquire-lock',
  input: z.object({
    table: z.string().min(1),
    lock: LockSchema,
    now: z.string().min(1),
    ttlSeconds: z.number().int().min(60),
  }),
  run: async ({ table, lock, now, ttlSeconds }, { dynamodb }) => {
    if (lock.join) {
      const held = await aws('DynamoDB GetItem (lock)', () =>
        dynamodb.send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: lock.key } }, ConsistentRead: true }),
        ),
      );
      const owner = held.Item?.owner?.S;
      if (owner !== lock.owner) {
        throw new LockHeld(
          `${lock.key} is not held by ${lock.owner}, the deployment said to have started this rollback (held by ${owner ?? 'nobody'})`,
        );
      }
      return { key: lock.key, owner, joined: true };
    }
    const expiresAt = Math.floor(Date.parse(now) / 1000) + ttlSeconds;
    try {
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: lock.key },
            owner: { S: lock.owner },
            procedure: { S: lock.procedure },
            acquiredAt: { S: now },
            expiresAt: { N: String(expiresAt) },
            // DynamoDB's TTL removes locks of runs that died without their Catch (the table's TTL attribute).
            ttl: { N: String(expiresAt) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR expiresAt < :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': { S: lock.owner },
            ':now': { N: String(Math.floor(Date.parse(now) / 1000)) },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        const holder = (error as ConditionalCheckFailedException).Item;
        throw new LockHeld(
          `${lock.key} is locked by ${holder?.owner?.S ?? 'another run'} (${holder?.procedure?.S ?? 'unknown procedure'}) since ${holder?.acquiredAt?.S ?? 'an unknown time'}`,
        );
      }
      rethrowAws(error, 'DynamoDB PutItem (lock)');
    }
    return { key: lock.key, owner: lock.owner, expiresAt };
  },
});

export const handler = lambdaHandler(acquireLock);
