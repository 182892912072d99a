// Where a rollback that names no task definition goes: away from what the service runs now, to the
// newest known-good release that differs from it. If the service still runs the last recorded
// release (the usual "errors since this morning's release"), that is the release before it.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { aws, InvalidInput } from '../errors.ts';
import { knownGoodKey } from '../run-state.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';

export const findKnownGood = defineWorker({
  name: 'find-known-good',
  entry: import.meta.url,
  actions: ['dynamodb:GetItem', 'ecs:DescribeServices'],
  input: z.object({
    table: z.string().min(1),
    lockKey: z.string().min(1),
    cluster: z.string().min(1),
    service: z.string().min(1),
  }),
  run: async ({ table, lockKey, cluster, service }, { dynamodb, ecs }) => {
    const found = await aws('DynamoDB GetItem (known-good)', () =>
      dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: knownGoodKey(lockKey) } },
          ConsistentRead: true,
        }),
      ),
    );
    const latest = found.Item?.taskDefinition?.S;
    const previous = found.Item?.previous?.S;
    if (!latest) {
      throw new InvalidInput(
        `taskDefinition: not given, and no known-good task definition is recorded for ${lockKey}`,
      );
    }
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const running = described.services?.[0]?.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition;
    const taskDefinition = running === latest ? previous : latest;
    if (!taskDefinition) {
      throw new InvalidInput(
        `taskDefinition: not given, and ${service} already runs the only known-good task definition recorded (${latest}); name the one to restore`,
      );
    }
    return { taskDefinition, running: running ?? null, recordedAt: found.Item?.recordedAt?.S ?? null };
  },
  summarize: (r) => `known-good ${lastPart(r.taskDefinition)}`,
});

export const handler = lambdaHandler(findKnownGood);
