// Announces a health check that found something off, at the severity the environment's config gives
// it: the summary, each failed or warned finding with where to look, and the execution.
import { publish, reportNoticeInput } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import { findingLine, HealthReportSchema } from './report-health.ts';

export const notifyFindings = defineWorker({
  name: 'notify-findings',
  entry: import.meta.url,
  actions: ['sns:Publish'],
  input: reportNoticeInput(HealthReportSchema, ['info', 'warning', 'page']),
  run: async ({ topicArn, procedure, executionId, report }, { sns }) => {
    const off = report.findings.filter((f) => f.verdict !== 'pass');
    await publish(sns, {
      topicArn,
      event: 'findings',
      severity: report.severity,
      subject: `[${report.severity.toUpperCase()}] ${procedure} ${report.environment}: ${report.counts.fail} failed, ${report.counts.warn} warnings`,
      lines: [
        report.summary,
        '',
        ...off.flatMap((f) => [
          findingLine(f),
          ...(f.samples ?? []).map((line) => `    ${line}`),
          f.follow && `    ${f.follow}`,
        ]),
        report.unlisted &&
          `And ${report.unlisted.fail} failed and ${report.unlisted.warn} warned more than the report lists: each check keeps its worst findings; the console pages above show the rest.`,
        '',
        `Execution: ${executionId}`,
      ],
    });
    return { event: 'findings', severity: report.severity, findings: off.length };
  },
  summarize: (r) => `findings notice sent (${r.severity}, ${r.findings} findings)`,
});

export const handler = lambdaHandler(notifyFindings);
