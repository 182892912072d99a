// Diagnostics: the service as ECS tells it: its deployments, its latest service events, and the
// tasks it stopped recently with ECS's reason for each (a crash loop shows here first). ListTasks
// gives no order, so the stopped tasks are listed (within a bound), described, and the latest
// STOPPED of them counted by reason.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  paginateListTasks,
  type Task,
} from '@aws-sdk/client-ecs';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { SectionSchema, section, summarizeSection, when } from './sections.ts';

/** Service events shown (ECS keeps the latest 100). */
const EVENTS = 10;
/** Stopped tasks counted: the latest this many. */
const STOPPED = 100;
/** DescribeTasks takes at most 100 tasks a call. */
const BATCH = 100;

export const ServiceSectionSchema = SectionSchema.extend({
  desiredCount: z.number().int(),
  runningCount: z.number().int(),
});

export const readService = defineWorker({
  name: 'read-service',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices', 'ecs:ListTasks', 'ecs:DescribeTasks'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { ecs }) => {
    const { cluster, serviceName, region } = request;
    const at = Date.parse(now);
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
    );
    const svc = described.services?.[0];
    const follow = consoleUrl(
      region,
      `ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(serviceName)}/health?region=${region}`,
    );
    if (svc?.status !== 'ACTIVE')
      return {
        ...section('service', 'The service (ECS)', {
          attention: [
            `${serviceName} is not an active service in ${cluster} (${svc?.status ?? 'not found'})`,
          ],
          lines: [],
          follow,
        }),
        desiredCount: 0,
        runningCount: 0,
      };
    const desired = svc.desiredCount ?? 0;
    const running = svc.runningCount ?? 0;
    const deployments = svc.deployments ?? [];
    const { items: arns } = await allPages(
      'ECS ListTasks',
      paginateListTasks({ client: ecs, pageSize: BATCH }, { cluster, serviceName, desiredStatus: 'STOPPED' }),
      (page) => page.taskArns,
    );
    const stoppedTasks: Task[] = [];
    for (let i = 0; i < arns.length; i += BATCH) {
      const tasks = arns.slice(i, i + BATCH);
      const page = await aws('ECS DescribeTasks', () =>
        ecs.send(new DescribeTasksCommand({ cluster, tasks })),
      );
      stoppedTasks.push(...(page.tasks ?? []));
    }
    const stopped = stoppedTasks
      .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
      .slice(0, STOPPED);
    // The same reason over and over is the crash loop: counted by reason, the most frequent first.
    const reasons = new Map<string, number>();
    for (const task of stopped) {
      const reason = shown(task.stoppedReason ?? 'no reason given');
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const byReason = [...reasons].sort((a, b) => b[1] - a[1]);
    const failing = deployments.filter((d) => (d.failedTasks ?? 0) > 0 || d.rolloutState === 'FAILED');
    const attention = [
      ...(running < desired ? [`${running} of ${desired} tasks running`] : []),
      ...deployments
        .filter((d) => d.rolloutState !== 'COMPLETED')
        .map((d) => `deployment ${d.id} (${d.status}) ${d.rolloutState}: ${shown(d.rolloutStateReason)}`),
      ...failing.map(
        (d) => `${d.failedTasks ?? 0} failed tasks in deployment ${d.id} (${lastPart(d.taskDefinition)})`,
      ),
      ...byReason
        .filter(([reason]) => !/^Scaling activity initiated by/.test(reason))
        .slice(0, 3)
        .map(([reason, n]) => `${n} tasks stopped: ${reason}`),
    ];
    const lines = [
      `${serviceName}: ${running} running, ${svc.pendingCount ?? 0} pending, ${desired} desired`,
      ...deployments.map(
        (d) =>
          `deployment ${d.id} ${d.status} ${lastPart(d.taskDefinition)} ${d.rolloutState ?? ''}: ${d.runningCount ?? 0} running of ${d.desiredCount ?? 0}, ${d.failedTasks ?? 0} failed`,
      ),
      ...(svc.events ?? []).slice(0, EVENTS).map((e) => `${when(e.createdAt, at)} ${shown(e.message)}`),
      ...byReason.map(([reason, n]) => `stopped: ${n} x ${reason}`),
    ];
    return {
      ...section('service', 'The service (ECS): deployments, events, stopped tasks', {
        attention,
        lines,
        follow,
      }),
      desiredCount: desired,
      runningCount: running,
    };
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readService);
