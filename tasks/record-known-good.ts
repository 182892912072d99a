// Records the task definition a service was last seen healthy on: the default target of a rollback.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { aws } from './errors.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

export const knownGoodKey = (lockKey: string) => `known-good#${lockKey}`;

export const recordKnownGood = defineWorker({
  name: 'record-known-good',
  input: z.object({
    table: z.string().min(1),
    lockKey: z.string().min(1),
    taskDefinition: z.string().min(1),
    desiredCount: z.number().int().min(0),
    executionId: z.string().min(1),
    now: z.string().min(1),
  }),
  run: async ({ table, lockKey, taskDefinition, desiredCount, executionId, now }, { dynamodb }) => {
    await aws('DynamoDB PutItem (known-good)', () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: knownGoodKey(lockKey) },
            taskDefinition: { S: taskDefinition },
            desiredCount: { N: String(desiredCount) },
            executionId: { S: executionId },
            recordedAt: { S: now },
          },
        }),
      ),
    );
    return { taskDefinition, desiredCount };
  },
});

export const handler = lambdaHandler(recordKnownGood);
