// The run archive as the CLI reads it: the S3 bucket the stack writes (its output RunArchiveBucket,
// or --archive s3://<bucket>), or a folder laid out the same way (runs/<procedure>/<date>/<name>/,
// e.g. a copy of the bucket). `runbook history` lists what is in it; `runbook audit` reads a run
// from it when Step Functions no longer has its history (90 days).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Config } from '../infra/config.ts';
import type { AuditReport } from '../tasks/audit/report.ts';
import { printable } from '../tasks/printable.ts';
import { WhereError } from './where.ts';

export interface Archive {
  /** Where it is, for messages. */
  readonly where: string;
  /** Every key under the prefix, in order. */
  keys(prefix: string): Promise<string[]>;
  read(key: string): Promise<string>;
}

export function s3Archive(s3: S3Client, bucket: string): Archive {
  return {
    where: `s3://${bucket}`,
    async keys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async read(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    },
  };
}

export function folderArchive(root: string): Archive {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [relative(root, join(dir, e.name)).split(sep).join('/')],
    );
  return {
    where: root,
    keys: async (prefix) =>
      walk(root)
        .filter((k) => k.startsWith(prefix))
        .sort(),
    read: async (key) => readFileSync(join(root, ...key.split('/')), 'utf8'),
  };
}

/** The archive named by --archive (s3://bucket or a folder), else the stack's output RunArchiveBucket. */
export async function archiveOf(
  given: string | undefined,
  config: Config,
  aws: { region?: string; profile?: string },
): Promise<Archive> {
  const credentials = fromNodeProviderChain({ ...(aws.profile && { profile: aws.profile }) });
  const region = aws.region ?? process.env.AWS_REGION ?? config.region;
  if (given && !given.startsWith('s3://')) {
    if (!statSync(given, { throwIfNoEntry: false })?.isDirectory())
      throw new WhereError(`--archive: ${printable(given)} is neither s3://<bucket> nor a folder`);
    return folderArchive(given);
  }
  let bucket = given?.slice('s3://'.length).replace(/\/$/, '');
  if (!bucket) {
    const stacks = await new CloudFormationClient({ region, credentials })
      .send(new DescribeStacksCommand({ StackName: config.stackName }))
      .catch((error: Error) => {
        throw new WhereError(
          `cannot read the outputs of stack ${config.stackName}: ${error.message} (or give --archive s3://<bucket>)`,
        );
      });
    bucket = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'RunArchiveBucket')?.OutputValue;
    if (!bucket)
      throw new WhereError(`stack ${config.stackName} has no RunArchiveBucket output (give --archive)`);
  }
  return s3Archive(new S3Client({ region, credentials }), bucket);
}

/** The archived record of a run by its name or ARN: the keys of its run.json (newest first). */
export async function archivedRun(archive: Archive, run: string): Promise<string | null> {
  const name = run.split(':').pop() ?? run;
  // An ARN also names the machine (<stack>-<procedure>): the key's procedure must be its end.
  const machine = run.startsWith('arn:') ? (run.split(':').at(-2) ?? '') : '';
  const found = (await archive.keys('runs/')).filter(
    (k) => k.endsWith(`/${name}/run.json`) && (!machine || machine.endsWith(`-${k.split('/')[1]}`)),
  );
  return found.sort().at(-1) ?? null;
}

export interface HistoryRow {
  readonly date: string;
  readonly procedure: string;
  readonly target: string;
  readonly requestedBy: string | null;
  readonly approvers: string[];
  readonly change: string | null;
  readonly status: string;
  readonly error: string | null;
  readonly seconds: number | null;
  readonly executionArn: string;
}

/** One line of the release history, from a run's archived report. */
export function historyRowOf(report: AuditReport): HistoryRow {
  const input = (report.started.input ?? {}) as Record<string, unknown>;
  const target = [input.environment, input.service ?? input.database]
    .filter((v) => typeof v === 'string')
    .join('/');
  const change =
    report.changes.find((c) => c.kind === 'service')?.after ??
    report.changes.find((c) => c.kind === 'snapshot')?.after ??
    null;
  return {
    date: report.startedAt,
    procedure: report.procedure,
    target,
    requestedBy: report.started.requestedBy,
    approvers: report.approvals.flatMap((a) => a.approvers.map((p) => p.person)),
    change,
    status: report.status,
    error: report.outcome.error,
    seconds: report.seconds,
    executionArn: report.executionArn,
  };
}

/** The release history: each archived run's row, newest first, filtered. */
export async function releaseHistory(
  archive: Archive,
  filter: { procedure?: string; target?: string; since?: string; limit: number },
): Promise<HistoryRow[]> {
  const since = filter.since ?? '0000-00-00';
  const keys = (await archive.keys(filter.procedure ? `runs/${filter.procedure}/` : 'runs/'))
    .filter((k) => k.endsWith('/report.json') && (k.split('/')[2] ?? '') >= since.slice(0, 10))
    .sort((a, b) => (a.split('/')[2] ?? '').localeCompare(b.split('/')[2] ?? '') || a.localeCompare(b))
    .reverse();
  const rows: HistoryRow[] = [];
  for (const key of keys) {
    const row = historyRowOf(JSON.parse(await archive.read(key)) as AuditReport);
    if (row.date < since) continue;
    if (filter.target && row.target !== filter.target && !row.target.endsWith(`/${filter.target}`)) continue;
    rows.push(row);
    if (rows.length >= filter.limit) break;
  }
  return rows.sort((a, b) => b.date.localeCompare(a.date));
}
