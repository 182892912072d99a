// One poll of a snapshot export: complete, still running, or failed (with RDS's cause). The loop is
// in the state machine.
import { DescribeExportTasksCommand } from '@aws-sdk/client-rds';
import { aws, ExportFailed } from '../errors.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

const RUNNING = new Set(['STARTING', 'IN_PROGRESS']);

export const checkExport = defineWorker({
  name: 'check-export',
  entry: import.meta.url,
  actions: ['rds:DescribeExportTasks'],
  input: PollSchema.extend({ taskId: z.string().min(1) }),
  run: async ({ taskId, attempt, maxAttempts }, { rds }) => {
    const found = await aws('RDS DescribeExportTasks', () =>
      rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: taskId })),
    ).catch((error: Error) => {
      if (error.name === 'ExportTaskNotFoundFault' || error.name === 'ExportTaskNotFound')
        throw new ExportFailed(`export task ${taskId} does not exist`);
      throw error;
    });
    const task = found.ExportTasks?.[0];
    const status = task?.Status ?? 'missing';
    const progress = task?.PercentProgress ?? 0;
    if (status === 'COMPLETE') return { done: true, attempt: attempt + 1, status, progress: 100 };
    if (!RUNNING.has(status))
      throw new ExportFailed(
        `export ${taskId} is ${status}${task?.FailureCause ? `: ${task.FailureCause}` : ''}; the snapshot is kept`,
      );
    if (attempt + 1 >= maxAttempts)
      throw new ExportFailed(
        `export ${taskId} was still ${status} (${progress}%) after ${maxAttempts} polls; it may still complete, the snapshot is kept`,
      );
    return { done: false, attempt: attempt + 1, status, progress };
  },
  summarize: (r) => `${r.status} ${r.progress}%`,
});

export const handler = lambdaHandler(checkExport);
