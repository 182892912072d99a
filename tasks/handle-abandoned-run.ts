// Runs on EventBridge's "execution status change" for a run that TIMED_OUT, was ABORTED (stopped from
// the console or the API) or FAILED. Step Functions runs no Catch for the first two (no rollback, no
// notice, no lock release), and a failure no Catch could handle can leave the lock too. This releases
// every lock the run still held and pages, since the service may be half-deployed; a failed run that
// had cleaned up after itself is left alone, and so is one that runs again (redriven).
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { aws } from './errors.ts';
import { deleteOwnedLock } from './lock-items.ts';
import { publish } from './publish.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

export const handleAbandonedRun = defineWorker({
  name: 'handle-abandoned-run',
  entry: import.meta.url,
  actions: ['dynamodb:Scan', 'dynamodb:DeleteItem', 'sns:Publish', 'states:DescribeExecution'],
  input: z.object({
    table: z.string().min(1),
    topicArn: z.string().min(1),
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    status: z.enum(['TIMED_OUT', 'ABORTED', 'FAILED']),
    /** What the stack's state machines are named with first (runbook- in the default stack). */
    machinePrefix: z.string().default('runbook-'),
  }),
  run: async (
    { table, topicArn, executionArn, stateMachineArn, status, machinePrefix },
    { dynamodb, sns, sfn },
  ) => {
    // Events can arrive late and out of order, and a failed run can be redriven: a lock is released
    // only if the execution has really ended, as Step Functions says now.
    const now = await aws('Step Functions DescribeExecution', () =>
      sfn.send(new DescribeExecutionCommand({ executionArn })),
    );
    if (now.status === 'RUNNING' || now.status === 'PENDING_REDRIVE')
      return { released: [] as string[], running: true };
    // The table holds a few items per service (locks, approvals, known-good records): a filtered
    // scan finds this run's locks without an index.
    const keys: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await aws('DynamoDB Scan (locks)', () =>
        dynamodb.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: executionArn } },
            ProjectionExpression: 'pk',
            ConsistentRead: true,
            ...(start && { ExclusiveStartKey: start }),
          }),
        ),
      );
      for (const item of page.Items ?? []) if (item.pk?.S) keys.push(item.pk.S);
      start = page.LastEvaluatedKey;
    } while (start);

    // A failed run normally released its lock and sent its own notice on the way out: stay quiet.
    // One that still holds a lock failed where no Catch could act (States.Runtime), or its release
    // ran out of retries: that needs a person as much as a timeout does.
    if (status === 'FAILED' && keys.length === 0) return { released: [], running: false };

    // Page first, then release: if the page cannot be sent, the retried invocation still finds the
    // lock, and pages then (a failed release after the page only means a second page).
    const machine = stateMachineArn.split(':').pop() ?? stateMachineArn;
    const procedure = machine.startsWith(machinePrefix) ? machine.slice(machinePrefix.length) : machine;
    const name = executionArn.split(':').pop() ?? executionArn;
    await publish(sns, {
      topicArn,
      event: status.toLowerCase().replace('_', '-'),
      severity: 'page',
      subject: `[PAGE] ${procedure} ${status}: ${name}`,
      lines: [
        status === 'FAILED'
          ? `${procedure} run ${name} FAILED still holding its lock: either it failed where no Catch could act, or releasing the lock failed. Check whether it rolled back.`
          : `${procedure} run ${name} ended ${status}. Step Functions ran no Catch: no rollback and no notice happened.`,
        `The service may be half-way through a change: check it, and start ${machinePrefix}rollback if it needs one.`,
        keys.length > 0 ? `Releasing its lock on ${keys.join(', ')}.` : 'It held no lock.',
        `Execution: ${executionArn}`,
      ],
    });

    const released: string[] = [];
    // A lock taken over since the scan (it had expired) is not the run's any more, and stays.
    for (const key of keys) if (await deleteOwnedLock(dynamodb, table, key, executionArn)) released.push(key);
    return { released, running: false };
  },
});

export const handler = lambdaHandler(handleAbandonedRun);
