// Announces the incident where its severity goes (the runbook's Severity Levels: P0 pages on-call
// and notifies leadership, P1 alerts on-call, P2 the team channel, P3 a ticket): to each topic the
// environment's config gives the severity, or to the runbook's own topic at the severity's
// loudness. Once with the diagnostics bundle, and once more with how the action ended. A retry
// after one topic refused may announce twice on the others: twice beats not at all.
import { publish } from '../publish.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { DiagnosticsSchema, diagnosticsLines, standOut } from './report-diagnostics.ts';

/** The worker's name: its function alone may publish to the configured incident topics (infra/grants/sns.ts). */
export const NOTIFY_INCIDENT = 'notify-incident';

export const OUTCOMES = {
  diagnosed: 'diagnostics',
  recovered: 'recovered',
  'not-recovered': 'did not recover',
} as const;

export const notifyIncident = defineWorker({
  name: NOTIFY_INCIDENT,
  entry: import.meta.url,
  actions: ['sns:Publish'],
  input: z.object({
    /** The runbook's own topic: where the incident goes when its environment configures no topics. */
    topicArn: z.string().min(1),
    executionId: z.string().min(1),
    request: IncidentRequestSchema,
    report: DiagnosticsSchema,
    outcome: z.enum(Object.keys(OUTCOMES) as [keyof typeof OUTCOMES, ...(keyof typeof OUTCOMES)[]]),
    /** How the action ended, in words (absent for the diagnostics notice). */
    detail: z.string().optional(),
  }),
  run: async ({ topicArn, executionId, request, report, outcome, detail }, { sns }) => {
    const { route } = request;
    const topics = route.topicArns.length > 0 ? route.topicArns : [topicArn];
    const target = `${request.service} in ${request.environment}`;
    const subject =
      outcome === 'diagnosed'
        ? `[${request.severity}] ${request.incident} ${target}: diagnostics, ${standOut(report.attention.length)}`
        : `[${request.severity}] ${request.incident} ${target}: ${request.action} ${OUTCOMES[outcome]}`;
    const lines = [
      ...(detail ? [detail, ''] : []),
      ...(outcome === 'diagnosed' ? diagnosticsLines(report) : [report.summary]),
      '',
      `Severity ${request.severity} (${route.audience}); action ${request.action}, asked by ${request.requestedBy}${request.reason ? `: ${request.reason}` : ''}.`,
      `Execution: ${executionId}`,
    ];
    for (const topic of topics)
      await publish(sns, {
        topicArn: topic,
        event: outcome === 'diagnosed' ? 'incident' : `incident-${outcome}`,
        severity: route.severity,
        subject,
        lines,
      });
    return { outcome, severity: request.severity, topics: topics.length };
  },
  summarize: (r) =>
    `${r.outcome} notice sent to ${r.topics} topic${r.topics === 1 ? '' : 's'} (${r.severity})`,
});

export const handler = lambdaHandler(notifyIncident);
