// Takes the target's lock: one run per service. Re-entrant for the same owner (a redrive). A
// deployment's own rollback joins the lock its deployment holds, with the single-use token the
// deployment handed over (hand-over-lock), and is refused otherwise. A lock with `also` keys takes
// them too, one by one, and gives back the ones it took if one is held. Expires on its own if a
// run dies without its Catch.
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LockHeld, rethrowAws } from './errors.ts';
import { deleteOwnedLock } from './lock-items.ts';
import { LockSchema } from './schemas/lock.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

export const acquireLock = defineWorker({
  name: 'acquire-lock',
  entry: import.meta.url,
  actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  input: z.object({
    table: z.string().min(1),
    lock: LockSchema,
    now: z.string().min(1),
    ttlSeconds: z.number().int().min(60),
  }),
  run: async ({ table, lock, now, ttlSeconds }, { dynamodb }) => {
    if (lock.join) {
      // Only with the token the deployment wrote onto its lock for this rollback, and only once: the
      // token is exchanged for this run's id, so this run's retries still join and nobody else can.
      try {
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: lock.key } },
            UpdateExpression: 'SET joinedBy = :me REMOVE joinToken',
            ConditionExpression:
              '#owner = :owner AND joinToken = :token OR #owner = :owner AND joinedBy = :me',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':owner': { S: lock.owner },
              ':token': { S: lock.joinToken ?? '' },
              ':me': { S: lock.member ?? '' },
            },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException')
          rethrowAws(error, 'DynamoDB UpdateItem (lock)');
        throw new LockHeld(
          `${lock.key} was not handed over to this rollback by ${lock.owner} (no such holder, or the token is wrong or used)`,
        );
      }
      return { key: lock.key, owner: lock.owner, joined: true };
    }
    const expiresAt = Math.floor(Date.parse(now) / 1000) + ttlSeconds;
    const taken: string[] = [];
    try {
      for (const key of [lock.key, ...(lock.also ?? [])]) {
        await take(dynamodb, table, { ...lock, key }, now, expiresAt);
        taken.push(key);
      }
    } catch (error) {
      // All or none: what this call took goes back (only where this run owns it) before the refusal.
      for (const key of taken.reverse()) await giveBack(dynamodb, table, key, lock.owner);
      throw error;
    }
    return { key: lock.key, owner: lock.owner, expiresAt, ...(lock.also && { also: lock.also }) };
  },
});

async function take(
  dynamodb: DynamoDBClient,
  table: string,
  lock: { key: string; owner: string; procedure: string },
  now: string,
  expiresAt: number,
): Promise<void> {
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
}

/** Gives back a key this call took; if that fails too, the lock still expires with the run's timeout. */
const giveBack = (dynamodb: DynamoDBClient, table: string, key: string, owner: string) =>
  deleteOwnedLock(dynamodb, table, key, owner).catch(() => false);

export const handler = lambdaHandler(acquireLock);
