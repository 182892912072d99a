// `runbook audit <run>`: the record of a run as a person reads it (Markdown), as tools read it
// (JSON), or as a page that opens offline (HTML). The run is read from a run record file (the
// archive's, or the one each rehearsal writes), or from Step Functions (AWS, or `runbook local`
// with --endpoint) by its ARN or name, with every execution it started.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../infra/config.ts';
import { type AuditReport, auditReport, type RunRecord } from '../tasks/audit/report.ts';
import { parseRunFile, readRun } from '../tasks/audit/run-record.ts';
import { printable } from '../tasks/printable.ts';
import { markdownReport } from './audit/markdown.ts';
import { UsageError } from './usage.ts';
import { apiProblem, findRun, procedureOfRun, type Where } from './where.ts';

export type AuditFormat = 'markdown' | 'json' | 'html';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['markdown', 'json', 'html'];

/** A run's records: from a file when `run` names one, else from the Step Functions API. */
export async function runRecords(
  run: string,
  config: Config,
  where: () => Promise<Where>,
): Promise<RunRecord[]> {
  if (run.endsWith('.json') || existsSync(run)) {
    if (!existsSync(run)) throw new UsageError(`no run record file ${printable(run)}`);
    return parseRunFile(readFileSync(run, 'utf8'), run);
  }
  const at = await where();
  const found = await findRun(at, config, run);
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
): Promise<number> {
  if (!AUDIT_FORMATS.includes(options.format as AuditFormat))
    throw new UsageError(
      `--format must be one of ${AUDIT_FORMATS.join(', ')}, not '${printable(options.format)}'`,
    );
  const records = await runRecords(run, config, where);
  const report = auditReport(records);
  const text = await renderReport(report, records, options.format as AuditFormat);
  if (options.out) {
    writeFileSync(options.out, text);
    process.stderr.write(`runbook: the ${options.format} report of ${report.name} is in ${options.out}\n`);
  } else process.stdout.write(text);
  return 0;
}
