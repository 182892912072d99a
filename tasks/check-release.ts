// Before anyone is asked to approve: can the release be deployed as asked? A task definition given
// by ARN must be of the service's family, and every image it changes must meet the rules an image
// input meets; a new revision built from the baseline can only pass roles the runbook may pass to
// ECS (the service's taskRoleArns). Reads only.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { describeImageProblem, imageProblems } from './catalogue.ts';
import { aws, InvalidInput, PreflightFailed, rethrowAws } from './errors.ts';
import { ImagePolicySchema } from './schemas/catalogue.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

const familyOf = (arn: string) => (arn.split('/').pop() ?? arn).split(':')[0];

export const checkRelease = defineWorker({
  name: 'check-release',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices', 'ecs:DescribeTaskDefinition'],
  input: z.object({
    environment: z.string().min(1),
    service: z.string().min(1),
    /** What the service runs now. */
    cluster: z.string().min(1),
    serviceName: z.string().min(1),
    /** What the service runs now, when already captured; otherwise read from the service. */
    baseline: z.string().min(1).nullable().default(null),
    /** The task definition to deploy as is, or null when a new revision is built with the image. */
    taskDefinition: z.string().min(1).nullable(),
    containerName: z.string().min(1),
    imagePolicy: ImagePolicySchema,
    taskRoleArns: z.array(z.string()),
  }),
  run: async (
    {
      environment,
      service,
      cluster,
      serviceName,
      taskDefinition,
      containerName,
      imagePolicy,
      taskRoleArns,
      ...rest
    },
    { ecs },
  ) => {
    const describe = async (arn: string): Promise<TaskDefinition> => {
      try {
        const found = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        if (found.taskDefinition) return found.taskDefinition;
      } catch (error) {
        // ECS answers an unknown task definition with ClientException ("Unable to describe task definition").
        if ((error as Error).name !== 'ClientException') rethrowAws(error, 'ECS DescribeTaskDefinition');
      }
      throw new InvalidInput(`Invalid input: taskDefinition: ${arn} does not exist`);
    };
    let baseline = rest.baseline;
    if (baseline === null) {
      const described = await aws('ECS DescribeServices', () =>
        ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
      );
      baseline =
        described.services?.[0]?.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? null;
      if (baseline === null)
        throw new PreflightFailed(`${serviceName} in ${cluster} has no PRIMARY deployment`);
    }

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
