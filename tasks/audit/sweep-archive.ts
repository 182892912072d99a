// Runs on a schedule (well inside Step Functions' 90 days): finds the ended executions of the
// stack's machines from the last `sinceDays` whose record is not in the archive (or was written
// before the run was redriven and ended again), and archives them, at most `limit` per run so one
// run stays inside the function's timeout (the next run goes on). One that cannot be archived is
// reported and passed over, so it never blocks the others. EventBridge delivery is best effort;
// this is what makes the archive whole.
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { aws } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  ARCHIVE_ACTIONS,
  archiveExecution,
  archivePrefix,
  archived as inArchive,
  procedureOfMachine,
} from './archive.ts';

export const sweepArchive = defineWorker({
  name: 'sweep-archive',
  entry: import.meta.url,
  actions: ['states:ListExecutions', ...ARCHIVE_ACTIONS],
  input: z.object({
    bucket: z.string().min(1),
    stateMachineArns: z.array(z.string().min(1)).min(1),
    machinePrefix: z.string().default('runbook-'),
    sinceDays: z.number().int().min(1).max(89).default(80),
    limit: z.number().int().min(1).max(100).default(10),
    /** The sweep's clock (tests); the time it runs, by default. */
    now: z.string().datetime().optional(),
  }),
  run: async ({ bucket, stateMachineArns, machinePrefix, sinceDays, limit, now }, clients) => {
    const since = Date.parse(now ?? new Date().toISOString()) - sinceDays * 86_400_000;
    const procedureOf = procedureOfMachine(machinePrefix);
    const archived: string[] = [];
    const failed: { executionArn: string; error: string }[] = [];
    let checked = 0;
    for (const stateMachineArn of stateMachineArns) {
      let nextToken: string | undefined;
      do {
        const page = await aws('Step Functions ListExecutions', () =>
          clients.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, nextToken })),
        );
        // Newest first: once a page reaches past the window, older pages are not read.
        let older = false;
        for (const e of page.executions ?? []) {
          if (!e.executionArn || !e.startDate) continue;
          if (new Date(e.startDate).getTime() < since) {
            older = true;
            break;
          }
          if (!e.stopDate) continue;
          checked++;
          const key = `${archivePrefix(procedureOf(stateMachineArn), new Date(e.startDate), e.executionArn)}run.json`;
          const kept = await aws('S3 HeadObject', () => inArchive(clients, bucket, key));
          if (kept !== null && kept.redrives >= (e.redriveCount ?? 0)) continue;
          if (archived.length + failed.length >= limit) return { checked, archived, failed, more: true };
          try {
            const result = await archiveExecution(clients, bucket, e.executionArn, machinePrefix);
            if (result.archived) archived.push(result.key);
          } catch (error) {
            // Said in the result and the log; the sweep goes on with the next run.
            const failure = {
              executionArn: e.executionArn,
              error: `${(error as Error).name}: ${(error as Error).message}`,
            };
            console.warn(JSON.stringify({ notArchived: failure }));
            failed.push(failure);
          }
        }
        nextToken = older ? undefined : page.nextToken;
      } while (nextToken);
    }
    return { checked, archived, failed, more: false };
  },
  summarize: (r) =>
    `${r.archived.length} archived of ${r.checked} ended runs checked${r.failed.length ? `, ${r.failed.length} failed` : ''}${r.more ? ', more left' : ''}`,
});

export const handler = lambdaHandler(sweepArchive);
