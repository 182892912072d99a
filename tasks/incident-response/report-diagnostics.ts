// The diagnostics bundle: every section in the runbook's order (a reader that could not run is a
// section saying why, not a failed run), what stands out across them, and a summary line for the
// notice's subject and the record. Changes nothing.
import { originalError, readableCause } from '../notify.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { SECTIONS, type Section, SectionSchema } from './sections.ts';

/** What a reader that could not run leaves: the error its Catch caught. */
const ReadFailureSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const DiagnosticsSchema = z.strictObject({
  incident: z.string(),
  severity: z.string(),
  environment: z.string(),
  service: z.string(),
  action: z.string(),
  /** One line: how many things stand out, and the first of them. */
  summary: z.string(),
  /** What stands out, section by section. */
  attention: z.array(z.string()),
  /** Each section; `unavailable`: why it could not be read (null when it was). */
  sections: z.array(SectionSchema.extend({ unavailable: z.string().nullable() })),
});
export type Diagnostics = z.infer<typeof DiagnosticsSchema>;

/** "1 thing stands out", "3 things stand out". */
export const standOut = (n: number) => (n === 1 ? '1 thing stands out' : `${n} things stand out`);

/** The bundle as lines for a person: the summary, what stands out, then each section. */
export function diagnosticsLines(report: Diagnostics): string[] {
  return [
    report.summary,
    ...(report.attention.length > 0
      ? ['', 'What stands out:', ...report.attention.map((a) => `  - ${a}`)]
      : []),
    ...report.sections.flatMap((s) => [
      '',
      `${s.title}${s.unavailable ? `: could not be read (${s.unavailable})` : ''}`,
      ...s.lines.map((l) => `  ${l}`),
      ...(s.more > 0 ? [`  (and ${s.more} more)`] : []),
      ...(s.follow ? [`  ${s.follow}`] : []),
    ]),
  ];
}

export const reportDiagnostics = defineWorker({
  name: 'report-diagnostics',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    request: IncidentRequestSchema,
    /** By section name, as the definition places them: its reading, or why it could not be read. */
    results: z.record(z.string(), z.union([SectionSchema.loose(), ReadFailureSchema])),
  }),
  run: async ({ request, results }): Promise<Diagnostics> => {
    const sections = SECTIONS.map((name) => {
      const result = Object.hasOwn(results, name) ? results[name] : undefined;
      if (result && 'section' in result) {
        const { section, title, attention, lines, more, follow } = result as Section;
        return { section, title, attention, lines, more, follow, unavailable: null };
      }
      const why = result
        ? shown(`${originalError(result)}: ${readableCause(result.Cause)}`)
        : 'the reader left no result';
      return {
        section: name,
        title: `The ${name} section`,
        attention: [`the ${name} section could not be read: ${why}`],
        lines: [],
        more: 0,
        follow: null,
        unavailable: why,
      };
    });
    const attention = sections.flatMap((s) => s.attention.map((a) => `${s.section}: ${a}`));
    const target = `${request.service} in ${request.environment}`;
    const summary =
      attention.length === 0
        ? `${request.severity} ${request.incident}: diagnostics of ${target} found nothing that stands out.`
        : `${request.severity} ${request.incident}: diagnostics of ${target}: ${standOut(attention.length)}, first ${attention[0]}.`;
    return {
      incident: request.incident,
      severity: request.severity,
      environment: request.environment,
      service: request.service,
      action: request.action,
      summary,
      attention,
      sections,
    };
  },
  summarize: (r) => standOut(r.attention.length),
});

export const handler = lambdaHandler(reportDiagnostics);
