// The run archive: each ended execution of the stack's machines kept in S3 for years (Step
// Functions keeps a history 90 days): its run record (every history, the definition that ran) and
// its audit report, under runs/<procedure>/<start date>/<execution name>/. Writing is idempotent:
// the record's sha256 rides along as object metadata, and a record already there with the same hash
// is not written again (a versioned bucket would otherwise keep a copy per retry).

import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { Clients } from '../clients.ts';
import { aws } from '../errors.ts';
import type { IamAction } from '../worker.ts';
import { auditReport } from './report.ts';
import { readRun, runFileText } from './run-record.ts';

/** What archiving a run calls: reading it from Step Functions, reading and writing the bucket's runs/. */
export const ARCHIVE_ACTIONS: readonly IamAction[] = [
  'states:DescribeExecution',
  'states:GetExecutionHistory',
  'states:DescribeStateMachineForExecution',
  's3:GetObject',
  's3:ListBucket',
  's3:PutObject',
];

/** Where a run's objects go: by procedure, by the day it started (names are reused after 90 days), by name. */
export function archivePrefix(procedure: string, startDate: Date, executionArn: string): string {
  const name = executionArn.split(':').pop() ?? executionArn;
  return `runs/${procedure}/${startDate.toISOString().slice(0, 10)}/${name}/`;
}

/** The procedure of a machine of the stack: its name without the stack's prefix. */
export const procedureOfMachine = (machinePrefix: string) => (stateMachineArn: string) =>
  (stateMachineArn.split(':').pop() ?? '').replace(machinePrefix, '');

export type ArchiveResult =
  | { readonly archived: true; readonly key: string; readonly events: number }
  | { readonly archived: false; readonly key: string | null; readonly reason: 'running' | 'unchanged' };

const isMissing = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

/** A run's record as the archive has it: its hash and how often the run had been redriven; null if absent. */
export async function archived(
  clients: Clients,
  bucket: string,
  key: string,
): Promise<{ sha256: string; redrives: number } | null> {
  try {
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { sha256: head.Metadata?.sha256 ?? '', redrives: Number(head.Metadata?.redrives ?? 0) };
  } catch (error) {
    // (Without s3:ListBucket S3 answers 403 for a missing key; the archive's functions have it.)
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Archives one execution (and the runs it started) if it has ended. */
export async function archiveExecution(
  clients: Clients,
  bucket: string,
  executionArn: string,
  machinePrefix: string,
): Promise<ArchiveResult> {
  const now = await aws('Step Functions DescribeExecution', () =>
    clients.sfn.send(new DescribeExecutionCommand({ executionArn })),
  );
  // An event can arrive for a run that was redriven since: it is archived when it ends again.
  if (now.status === 'RUNNING' || now.status === 'PENDING_REDRIVE')
    return { archived: false, key: null, reason: 'running' };
  const procedureOf = procedureOfMachine(machinePrefix);
  const records = await aws('Step Functions GetExecutionHistory', () =>
    readRun(clients.sfn, executionArn, procedureOf),
  );
  const prefix = archivePrefix(
    procedureOf(String(now.stateMachineArn)),
    new Date(now.startDate ?? 0),
    executionArn,
  );
  const text = runFileText(records);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const key = `${prefix}run.json`;
  if ((await aws('S3 HeadObject', () => archived(clients, bucket, key)))?.sha256 === sha256)
    return { archived: false, key, reason: 'unchanged' };
  const put = (name: string, body: string) =>
    aws('S3 PutObject', () =>
      clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${name}`,
          Body: body,
          ContentType: 'application/json',
          Metadata: { sha256, execution: executionArn, redrives: String(now.redriveCount ?? 0) },
        }),
      ),
    );
  // The report first: a record present means both were written (the sweep looks for the record).
  await put('report.json', `${JSON.stringify(auditReport(records), null, 1)}\n`);
  await put('run.json', text);
  return { archived: true, key, events: records.reduce((n, r) => n + r.history.length, 0) };
}
