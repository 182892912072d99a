// Reminders of pending approval requests, run every few minutes by a schedule (and by the rehearsal on
// its clock): past a request's remindAt it is announced again, past its pageAt the on-call is paged,
// each once. The notice comes first and the mark after: a lost write means a second notice, never a
// missing one. A request whose run no longer runs (stopped, timed out) is closed instead: nobody is
// paged about a run that stopped waiting.
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { aws } from '../errors.ts';
import { publish } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { writeRequest } from './store.ts';
import { scanWaiting } from './waiting.ts';

export const remindApprovals = defineWorker({
  name: 'remind-approvals',
  entry: import.meta.url,
  actions: [
    'dynamodb:GetItem',
    'dynamodb:Scan',
    'dynamodb:UpdateItem',
    'sns:Publish',
    'states:DescribeExecution',
  ],
  input: z.object({ table: z.string().min(1), topicArn: z.string().min(1), now: z.string().min(1) }),
  run: async ({ table, topicArn, now }, { dynamodb, sns, sfn }) => {
    const at = Date.parse(now);
    const due = (when: string | null, done: boolean) => when !== null && !done && at >= Date.parse(when);
    let reminded = 0;
    let paged = 0;
    let closed = 0;
    for (const { request, token } of await scanWaiting(dynamodb, table)) {
      const { reminders, summary } = request;
      if (at >= Date.parse(request.expiresAt)) continue;
      const page = due(reminders.pageAt, reminders.paged);
      if (!page && !due(reminders.remindAt, reminders.reminded)) continue;
      const run = await aws('Step Functions DescribeExecution', () =>
        sfn.send(new DescribeExecutionCommand({ executionArn: request.executionId })),
      );
      if (run.status !== 'RUNNING') {
        await writeRequest(
          dynamodb,
          table,
          { ...request, status: 'expired', version: request.version + 1 },
          token,
          request.version,
        );
        closed++;
        continue;
      }
      const minutes = Math.max(1, Math.round((Date.parse(request.expiresAt) - at) / 60_000));
      const approvals = request.decisions.filter((d) => d.decision === 'approve').length;
      await publish(sns, {
        topicArn,
        event: 'approval-reminder',
        severity: page ? 'page' : 'warning',
        subject: `Approval still pending: ${summary.target} in ${summary.environment} (expires in ${minutes} min)`,
        lines: [
          `${summary.procedure} of ${summary.target} in ${summary.environment} still waits for approval; it expires at ${request.expiresAt} (in ${minutes} minutes) and the run then ends without changing anything.`,
          `Change: ${summary.change}. Requested by: ${summary.requestedBy ?? 'unknown'}.`,
          `${approvals} of ${request.rule.required} approvals so far.`,
          `Approval id: ${request.approvalId} (summary ${request.summaryHash.slice(0, 12)}). Decide: runbook approve ${request.approvalId}   or   runbook reject ${request.approvalId} --reason "..."`,
        ],
      });
      const marked = { ...reminders, reminded: true, paged: reminders.paged || page };
      await writeRequest(
        dynamodb,
        table,
        { ...request, reminders: marked, version: request.version + 1 },
        token,
        request.version,
      );
      if (page) paged++;
      else reminded++;
    }
    return { reminded, paged, closed };
  },
  summarize: (r) => `${r.reminded} reminded, ${r.paged} paged, ${r.closed} closed (their runs ended)`,
});

export const handler = lambdaHandler(remindApprovals);
