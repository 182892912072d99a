// Before anyone is asked to approve: can the release be deployed as asked? A task definition given
// by ARN must be of the service's family, and every image it changes must meet the rules an image
// input meets; a new revision built from the baseline can only pass roles the runbook may pass to
// ECS (the service's taskRoleArns). Reads only.
import { DescribeTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { describeImageProblem, imageProblems } from './catalogue.ts';
import { aws, InvalidInput, PreflightFailed } from './errors.ts';
import { ImagePolicySchema } from './schemas.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

const familyOf = (arn: string) => (arn.split('/').pop() ?? arn).split(':')[0];

export const checkRelease = defineWorker({
  name: 'check-release',
  input: z.object({
    environment: z.string().min(1),
    service: z.string().min(1),
    /** What the service runs now. */
    baseline: z.string().min(1),
    /** The task definition to deploy as is, or null when a new revision is built with the image. */
    taskDefinition: z.string().min(1).nullable(),
    containerName: z.string().min(1),
    imagePolicy: ImagePolicySchema,
    taskRoleArns: z.array(z.string()),
  }),
  run: async (
    { environment, service, baseline, taskDefinition, containerName, imagePolicy, taskRoleArns },
    { ecs },
  ) => {
    const describe = async (arn: string): Promise<TaskDefinition> => {
      const found = await aws('ECS DescribeTaskDefinition', () =>
        ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
      );
      if (!found.taskDefinition) throw new InvalidInput(`taskDefinition: ${arn} could not be read`);
      return found.taskDefinition;
    };

    if (taskDefinition !== null) {
      const [given, current] = await Promise.all([describe(taskDefinition), describe(baseline)]);
      const problems: string[] = [];
      if (given.family !== familyOf(baseline)) {
        problems.push(
          `belongs to family ${given.family}, not ${familyOf(baseline)}, the family ${service} runs`,
        );
      }
      // What this deployment changes must meet the rules: images the service already runs are as they were.
      const running = new Map((current.containerDefinitions ?? []).map((c) => [c.name, c.image]));
      const changed = (given.containerDefinitions ?? []).filter((c) => running.get(c.name) !== c.image);
      for (const container of changed) {
        for (const problem of imageProblems(container.image ?? '', imagePolicy)) {
          problems.push(
            `container ${container.name} (${container.image}): ${describeImageProblem(problem, { environment, service }, imagePolicy)}`,
          );
        }
      }
      if (problems.length > 0)
        throw new InvalidInput(`Invalid input: taskDefinition: ${problems.join('; ')}`);
      return {
        taskDefinition,
        family: given.family,
        images: (given.containerDefinitions ?? []).map((c) => c.image ?? ''),
      };
    }

    const current = await describe(baseline);
    if (!(current.containerDefinitions ?? []).some((c) => c.name === containerName)) {
      throw new PreflightFailed(
        `container '${containerName}' is not in ${familyOf(baseline)}, which ${service} runs; fix containerName in the config`,
      );
    }
    const roles = [current.taskRoleArn, current.executionRoleArn].filter((r): r is string => Boolean(r));
    const notAllowed = roles.filter((role) => !taskRoleArns.includes(role));
    if (notAllowed.length > 0) {
      throw new PreflightFailed(
        `${service} runs with roles the runbook may not pass to ECS: ${notAllowed.join(', ')}; add them to taskRoleArns in the config`,
      );
    }
    return { taskDefinition: null, family: current.family, roles };
  },
});

export const handler = lambdaHandler(checkRelease);
