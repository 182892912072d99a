// Announces a resource-usage run that found a figure beyond its threshold, at the severity the
// environment's config gives it: the summary, each breach and each figure without data with where
// to look, and the execution.
import { publish, reportNoticeInput } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import { figureLine, UsageReportSchema } from './read-usage.ts';

export const notifyBreach = defineWorker({
  name: 'notify-breach',
  entry: import.meta.url,
  actions: ['sns:Publish'],
  input: reportNoticeInput(UsageReportSchema, ['info', 'warning', 'page']),
  run: async ({ topicArn, procedure, executionId, report }, { sns }) => {
    const off = report.figures.filter((f) => f.verdict !== 'ok');
    await publish(sns, {
      topicArn,
      event: 'breach',
      severity: report.severity,
      subject: `[${report.severity.toUpperCase()}] ${procedure} ${report.environment}: ${report.counts.breach} beyond their threshold`,
      lines: [
        report.summary,
        `Window: ${report.window.start} to ${report.window.end}, against ${report.weekBefore.start} to ${report.weekBefore.end}.`,
        '',
        ...off.flatMap((f) => [figureLine(f), `    ${f.follow}`]),
        '',
        `Execution: ${executionId}`,
      ],
    });
    return { event: 'breach', severity: report.severity, breaches: report.counts.breach };
  },
  summarize: (r) => `breach notice sent (${r.severity}, ${r.breaches} beyond their threshold)`,
});

export const handler = lambdaHandler(notifyBreach);
