// `runbook audit <run>`: the record of a run as a person reads it (Markdown), as tools read it
// (JSON), or as a page that opens offline (HTML). The run is read from a run record file (the
// archive's, or the one each rehearsal writes), or from Step Functions (AWS, or `runbook local`
// with --endpoint) by its ARN or name, with every execution it started.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../infra/config.ts';
import { type AuditReport, auditReport, type RunRecord } from '../tasks/audit/report.ts';
import { parseRunFile, readRun } from '../tasks/audit/run-record.ts';
import { printable } from '../tasks/printable.ts';
import { type Archive, archivedRun, releaseHistory } from './archive.ts';
import { markdownReport, took } from './audit/markdown.ts';
import { UsageError } from './usage.ts';
import { apiProblem, findRun, procedureOfRun, type Where, WhereError } from './where.ts';

export type AuditFormat = 'markdown' | 'json' | 'html';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['markdown', 'json', 'html'];

/**
 * A run's records: from a file when `run` names one; else from the Step Functions API, and when it
 * no longer has the run (90 days), from the archive (`archive`, else the stack's RunArchiveBucket).
 */
export async function runRecords(
  run: string,
  config: Config,
  where: () => Promise<Where>,
  archive: () => Promise<Archive>,
): Promise<RunRecord[]> {
  if (run.endsWith('.json') || existsSync(run)) {
    if (!existsSync(run)) throw new UsageError(`no run record file ${printable(run)}`);
    return parseRunFile(readFileSync(run, 'utf8'), run);
  }
  const at = await where();
  const found = await findRun(at, config, run).catch((error: Error) => error);
  if (found instanceof Error) {
    if (found.name !== 'WhereError') throw found;
    // Not at Step Functions: the archive keeps what it no longer has.
    const kept = await archive().catch(() => null);
    const key = kept && (await archivedRun(kept, run));
    if (!kept || !key)
      throw new WhereError(`${found.message}${kept ? `, nor in the archive ${kept.where}` : ''}`);
    return parseRunFile(await kept.read(key), `${kept.where}/${key}`);
  }
  return readRun(at.sfn, String(found.executionArn), (arn) => procedureOfRun(arn, config)).catch((error) => {
    throw apiProblem(at, error);
  });
}

export async function renderReport(
  report: AuditReport,
  records: readonly RunRecord[],
  format: AuditFormat,
): Promise<string> {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'markdown') return markdownReport(report);
  // The layout library is loaded only for the page that draws.
  const [{ htmlReport }, { graphOf }] = await Promise.all([
    import('./audit/html.ts'),
    import('./audit/graph.ts'),
  ]);
  return htmlReport(report, records, graphOf);
}

export async function auditCommand(
  run: string,
  options: { format: string; out?: string },
  config: Config,
  where: () => Promise<Where>,
  archive: () => Promise<Archive>,
): Promise<number> {
  if (!AUDIT_FORMATS.includes(options.format as AuditFormat))
    throw new UsageError(
      `--format must be one of ${AUDIT_FORMATS.join(', ')}, not '${printable(options.format)}'`,
    );
  const records = await runRecords(run, config, where, archive);
  const report = auditReport(records);
  const text = await renderReport(report, records, options.format as AuditFormat);
  if (options.out) {
    writeFileSync(options.out, text);
    process.stderr.write(`runbook: the ${options.format} report of ${report.name} is in ${options.out}\n`);
  } else process.stdout.write(text);
  return 0;
}

/** `runbook history`: the release history from the archive, as a table or JSON. */
export async function historyCommand(
  options: { procedure?: string; target?: string; since?: string; limit: number; json: boolean },
  archive: () => Promise<Archive>,
  out: (line: string) => void,
): Promise<number> {
  if (options.since !== undefined && Number.isNaN(Date.parse(options.since)))
    throw new UsageError(`--since: '${printable(options.since)}' is not a date (e.g. 2026-01-31)`);
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 10_000)
    throw new UsageError('--limit must be a whole number from 1 to 10000');
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  const from = await archive();
  const rows = await releaseHistory(from, {
    limit: options.limit,
    ...(options.procedure !== undefined && { procedure: options.procedure }),
    ...(options.target !== undefined && { target: options.target }),
    ...(since !== undefined && { since }),
  });
  if (options.json) {
    out(JSON.stringify({ archive: from.where, runs: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out(`no archived run in ${printable(from.where)} matches`);
    return 0;
  }
  const cells = rows.map((r) => [
    r.date.slice(0, 16).replace('T', ' '),
    r.procedure,
    r.target,
    r.requestedBy ?? '-',
    r.approvers.join(', ') || '-',
    (r.change ?? '-').split('/').pop() ?? '-',
    r.error ? `${r.status} ${r.error}` : r.status,
    took(r.seconds),
  ]);
  const head = [
    'date (UTC)',
    'procedure',
    'target',
    'requested by',
    'approved by',
    'change',
    'outcome',
    'took',
  ];
  const shown = cells.map((c) => c.map(printable));
  const widths = head.map((h, i) => Math.max(h.length, ...shown.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out(line(head));
  for (const c of shown) out(line(c));
  return 0;
}
