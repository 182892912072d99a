// The load balancer targets of a service's new tasks: the tasks running the task definition we
// deployed, and the target group's entries that are theirs. An `ip` target group names a task by its
// address (awsvpc networking); an `instance` one by its EC2 instance and the host port its container
// is bound to (bridge or host networking). Draining old targets, and a group with none of ours,
// never read as healthy.
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { aws } from './errors.ts';

export type TargetType = 'ip' | 'instance';

/** ListTasks pages at 100; DescribeTasks and DescribeContainerInstances take at most 100 each. */
const BATCH = 100;

const batches = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));

/** The tasks of the service that ECS means to keep running (a rollout at 200 % of 50 tasks runs 100). */
async function runningTasks(ecs: ECSClient, cluster: string, service: string): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const listed = await aws('ECS ListTasks', () =>
      ecs.send(
        new ListTasksCommand({
          cluster,
          serviceName: service,
          desiredStatus: 'RUNNING',
          ...(token && { nextToken: token }),
        }),
      ),
    );
    arns.push(...(listed.taskArns ?? []));
    nextToken = listed.nextToken;
  } while (nextToken);
  const tasks: Task[] = [];
  for (const batch of batches(arns)) {
    const page = await aws('ECS DescribeTasks', () =>
      ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })),
    );
    tasks.push(...(page.tasks ?? []));
  }
  return tasks;
}

/** Each task by how the target group names it: its address (ip), or `instance:hostPort` (instance). */
async function byTargetKey(
  ecs: ECSClient,
  cluster: string,
  tasks: Task[],
  type: TargetType,
): Promise<Map<string, Task>> {
  if (type === 'ip') {
    return new Map(
      tasks.flatMap((t) =>
        (t.attachments ?? [])
          .flatMap((a) => a.details ?? [])
          .filter((d) => d.name === 'privateIPv4Address' && d.value)
          .map((d) => [d.value as string, t] as const),
      ),
    );
  }
  const instanceArns = [
    ...new Set(tasks.flatMap((t) => (t.containerInstanceArn ? [t.containerInstanceArn] : []))),
  ];
  const ec2 = new Map<string, string>();
  for (const batch of batches(instanceArns)) {
    const page = await aws('ECS DescribeContainerInstances', () =>
      ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch })),
    );
    for (const ci of page.containerInstances ?? [])
      if (ci.containerInstanceArn && ci.ec2InstanceId) ec2.set(ci.containerInstanceArn, ci.ec2InstanceId);
  }
  return new Map(
    tasks.flatMap((t) => {
      const instance = ec2.get(t.containerInstanceArn ?? '');
      if (!instance) return [];
      return (t.containers ?? [])
        .flatMap((c) => c.networkBindings ?? [])
        .flatMap((b) => (b.hostPort ? [[`${instance}:${b.hostPort}`, t] as const] : []));
    }),
  );
}

/** A target group entry of one of the new tasks, with the task it is. */
export interface NewTarget {
  readonly health: TargetHealthDescription;
  readonly task: Task;
}

/**
 * The target group's entries for the service's RUNNING tasks of `taskDefinition` (and, given
 * `deploymentId`, of that deployment alone: ECS sets a service task's startedBy to the deployment
 * that started it, so the old tasks of a forced deployment of the same task definition are not
 * counted as new), each with its task.
 */
export async function newTargets(
  { ecs, elb }: { ecs: ECSClient; elb: ElasticLoadBalancingV2Client },
  query: {
    cluster: string;
    service: string;
    taskDefinition: string;
    deploymentId?: string | null;
    targetGroupArn: string;
    targetType: TargetType;
  },
): Promise<NewTarget[]> {
  const tasks = (await runningTasks(ecs, query.cluster, query.service)).filter(
    (t) =>
      t.taskDefinitionArn === query.taskDefinition &&
      t.lastStatus === 'RUNNING' &&
      (query.deploymentId == null || t.startedBy === query.deploymentId),
  );
  const tasksByKey = await byTargetKey(ecs, query.cluster, tasks, query.targetType);
  const health = await aws('ELBv2 DescribeTargetHealth', () =>
    elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: query.targetGroupArn })),
  );
  return (health.TargetHealthDescriptions ?? []).flatMap((t) => {
    const id = t.Target?.Id;
    const task = id ? tasksByKey.get(query.targetType === 'ip' ? id : `${id}:${t.Target?.Port}`) : undefined;
    return task ? [{ health: t, task }] : [];
  });
}

/** "10.0.0.5:8080 unhealthy (Target.ResponseCodeMismatch)", for a person reading why. */
export const describeTarget = (t: TargetHealthDescription) =>
  `${t.Target?.Id}${t.Target?.Port ? `:${t.Target.Port}` : ''} ${t.TargetHealth?.State}${t.TargetHealth?.Reason ? ` (${t.TargetHealth.Reason})` : ''}`;
