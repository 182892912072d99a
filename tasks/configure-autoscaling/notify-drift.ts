// Announces a configure-autoscaling check that found the account's auto scaling not as the config
// says: each difference before -> after, and the command that makes it so.
import { publish, reportNoticeInput } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import { AutoScalingReportSchema } from './read-autoscaling.ts';

export const notifyDrift = defineWorker({
  name: 'notify-drift',
  entry: import.meta.url,
  actions: ['sns:Publish'],
  input: reportNoticeInput(AutoScalingReportSchema, ['warning']),
  run: async ({ topicArn, procedure, executionId, report }, { sns }) => {
    await publish(sns, {
      topicArn,
      event: 'drift',
      severity: report.severity,
      subject: `[${report.severity.toUpperCase()}] ${procedure}: ${report.differences.length} differences from the config`,
      lines: [
        report.summary,
        '',
        ...report.differences.map((d) => `${d.what}: ${d.before} -> ${d.after}`),
        '',
        `To make it as the config says, run ${procedure} again without "check".`,
        `Execution: ${executionId}`,
      ],
    });
    return { event: 'drift', severity: report.severity, differences: report.differences.length };
  },
  summarize: (r) => `drift notice sent (${r.severity}, ${r.differences} differences)`,
});

export const handler = lambdaHandler(notifyDrift);
