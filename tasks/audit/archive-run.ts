// Runs on EventBridge's "execution status change" when an execution of the stack's machines ends
// (SUCCEEDED, FAILED, TIMED_OUT, ABORTED): writes its run record and audit report into the archive
// bucket (tasks/audit/archive.ts). EventBridge delivers at least once, best effort: a second delivery
// finds the same record there and writes nothing; a missed one is found by the sweep.
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ARCHIVE_ACTIONS, archiveExecution } from './archive.ts';

export const archiveRun = defineWorker({
  name: 'archive-run',
  entry: import.meta.url,
  actions: ARCHIVE_ACTIONS,
  input: z.object({
    bucket: z.string().min(1),
    executionArn: z.string().min(1),
    /** What the stack's state machines are named with first (runbook- in the default stack). */
    machinePrefix: z.string().default('runbook-'),
  }),
  run: ({ bucket, executionArn, machinePrefix }, clients) =>
    archiveExecution(clients, bucket, executionArn, machinePrefix),
  summarize: (r) => (r.archived ? `archived ${r.key} (${r.events} events)` : `not written: ${r.reason}`),
});

export const handler = lambdaHandler(archiveRun);
