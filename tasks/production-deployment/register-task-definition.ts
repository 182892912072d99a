// Registers the next revision of the service's task definition: the current one with the new image.
// Registering changes nothing that runs; the old revision stays the way back.
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { aws, InvalidInput } from '../errors.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';

export const registerTaskDefinition = defineWorker({
  name: 'register-task-definition',
  entry: import.meta.url,
  actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:TagResource', 'iam:PassRole'],
  input: z.object({ from: z.string().min(1), containerName: z.string().min(1), image: z.string().min(1) }),
  run: async ({ from, containerName, image }, { ecs }) => {
    const described = await aws('ECS DescribeTaskDefinition', () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: from, include: ['TAGS'] })),
    );
    const current = described.taskDefinition;
    if (!current?.family || !current.containerDefinitions)
      throw new InvalidInput(`task definition ${from} could not be read`);
    if (!current.containerDefinitions.some((c) => c.name === containerName)) {
      throw new InvalidInput(`container '${containerName}' is not in task definition ${from}`);
    }
    // Everything the revision has, but what ECS sets itself: the new revision differs only in the image.
    const {
      taskDefinitionArn: _arn,
      revision: _revision,
      status: _status,
      requiresAttributes: _requires,
      compatibilities: _compatibilities,
      registeredAt: _registeredAt,
      registeredBy: _registeredBy,
      deregisteredAt: _deregisteredAt,
      ...kept
    } = current;
    const registered = await aws('ECS RegisterTaskDefinition', () =>
      ecs.send(
        new RegisterTaskDefinitionCommand({
          ...kept,
          family: current.family,
          containerDefinitions: current.containerDefinitions?.map((c) =>
            c.name === containerName ? { ...c, image } : c,
          ),
          tags: described.tags && described.tags.length > 0 ? described.tags : undefined,
        }),
      ),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new InvalidInput(`ECS returned no ARN for the new revision of ${current.family}`);
    return { taskDefinition: arn, from };
  },
  summarize: (r) => `${lastPart(r.taskDefinition)} (from ${lastPart(r.from)})`,
});

export const handler = lambdaHandler(registerTaskDefinition);
