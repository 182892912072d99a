// Records what a successful deployment leaves behind: the release now known to be good, and the
// one it replaced (also known good). A rollback that names no task definition goes back from the
// former to the latter.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { aws } from '../errors.ts';
import { knownGoodKey } from '../run-state.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const recordKnownGood = defineWorker({
  name: 'record-known-good',
  entry: import.meta.url,
  actions: ['dynamodb:PutItem'],
  input: z.object({
    table: z.string().min(1),
    lockKey: z.string().min(1),
    /** The release just deployed, healthy and baked. */
    taskDefinition: z.string().min(1),
    /** The task definition it replaced. */
    previous: z.string().min(1),
    desiredCount: z.number().int().min(0),
    executionId: z.string().min(1),
    now: z.string().min(1),
  }),
  run: async ({ table, lockKey, taskDefinition, previous, desiredCount, executionId, now }, { dynamodb }) => {
    await aws('DynamoDB PutItem (known-good)', () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: knownGoodKey(lockKey) },
            taskDefinition: { S: taskDefinition },
            // A redeploy of the same revision keeps no "previous": there is nothing earlier to go back to.
            ...(previous !== taskDefinition && { previous: { S: previous } }),
            desiredCount: { N: String(desiredCount) },
            executionId: { S: executionId },
            recordedAt: { S: now },
          },
        }),
      ),
    );
    return { taskDefinition, previous, desiredCount };
  },
});

export const handler = lambdaHandler(recordKnownGood);
