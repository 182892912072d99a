// Announces the incident where its severity goes (the runbook's Severity Levels: P0 pages on-call
// and notifies leadership, P1 alerts on-call, P2 the team channel, P3 a ticket): to each topic the
// environment's config gives the severity, or to the runbook's own topic at the severity's
// loudness. Once with the diagnostics bundle, and once more with how the action ended. Each topic
// is tried on its own: one that refuses does not silence the others, and the notice then goes to
// the runbook's own topic as a page, naming the topics that did not take it. Only when that fails
// too does the step fail. A retry may announce twice on the topics that took it: twice beats not
// at all.
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
  refused: 'refused, nothing changed',
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
    const notice = {
      event: outcome === 'diagnosed' ? 'incident' : `incident-${outcome}`,
      severity: route.severity,
      subject,
      lines,
    };
    const undelivered: string[] = [];
    for (const topic of topics)
      try {
        await publish(sns, { ...notice, topicArn: topic });
      } catch (error) {
        undelivered.push(
          `${topic} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
        );
      }
    if (undelivered.length > 0)
      await publish(sns, {
        ...notice,
        topicArn,
        severity: 'page',
        subject: `[NOT DELIVERED] ${subject}`,
        lines: [
          `This notice of a ${request.severity} incident did not reach where the severity goes: ${undelivered.join('; ')}.`,
          '',
          ...lines,
        ],
      });
    return { outcome, severity: request.severity, topics: topics.length, undelivered };
  },
  summarize: (r) =>
    `${r.outcome} notice sent to ${r.topics} topic${r.topics === 1 ? '' : 's'} (${r.severity})`,
});

export const handler = lambdaHandler(notifyIncident);
