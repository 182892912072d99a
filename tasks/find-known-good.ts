// Looks up the last known-good task definition of a service, for a rollback that names none.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { aws, InvalidInput } from './errors.ts';
import { knownGoodKey } from './record-known-good.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

export const findKnownGood = defineWorker({
  name: 'find-known-good',
  input: z.object({ table: z.string().min(1), lockKey: z.string().min(1) }),
  run: async ({ table, lockKey }, { dynamodb }) => {
    const found = await aws('DynamoDB GetItem (known-good)', () =>
      dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: knownGoodKey(lockKey) } },
          ConsistentRead: true,
        }),
      ),
    );
    const taskDefinition = found.Item?.taskDefinition?.S;
    if (!taskDefinition) {
      throw new InvalidInput(
        `taskDefinition: not given, and no known-good task definition is recorded for ${lockKey}`,
      );
    }
    return { taskDefinition, recordedAt: found.Item?.recordedAt?.S ?? null };
  },
});

export const handler = lambdaHandler(findKnownGood);
