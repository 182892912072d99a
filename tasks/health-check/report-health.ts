// The health check's report: every check's findings in one list (a check that could not run is a
// failed finding saying why), the verdict of the whole (its worst finding), the counts, and how loud
// the notice of it is by the environment's config (none when everything passed). Changes nothing.
import { originalError, readableCause } from '../notify.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  CHECKS,
  CheckResultSchema,
  type Finding,
  FindingSchema,
  resultKey,
  shown,
  VERDICTS,
  type Verdict,
} from './findings.ts';
import { HealthRequestSchema } from './input.ts';

/** What a check that could not run leaves: the error its Catch caught. */
const CheckFailureSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const HealthReportSchema = z.strictObject({
  environment: z.string(),
  verdict: z.enum(VERDICTS),
  counts: z.strictObject({ pass: z.number(), warn: z.number(), fail: z.number() }),
  /** One line: the verdict and what is off. */
  summary: z.string(),
  /** How loud its notice is; null: nothing to announce. */
  severity: z.enum(['info', 'warning', 'page']).nullable(),
  /** Failures first, then warnings, then passes, each in the order of the checks. */
  findings: z.array(FindingSchema),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

const RANK: Record<Verdict, number> = { fail: 0, warn: 1, pass: 2 };

/** A finding in one line: the verdict, the check and target, and what was found against what was expected. */
export const findingLine = (f: Finding) =>
  `${f.verdict.toUpperCase()} ${f.check} ${shown(f.target)}: ${f.actual} (expected ${f.expected})`;

export const reportHealth = defineWorker({
  name: 'report-health',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    request: HealthRequestSchema,
    /** By check (its name in camelCase, as the definition places them): its findings, or why it could not run. */
    results: z.record(z.string(), z.union([CheckResultSchema, CheckFailureSchema])),
  }),
  run: async ({ request, results }): Promise<HealthReport> => {
    const findings = CHECKS.flatMap((check): Finding[] => {
      const result = results[resultKey(check)];
      if (result && 'findings' in result) return result.findings;
      return [
        {
          check,
          target: `the ${check} check`,
          expected: 'the check runs',
          actual: result
            ? `could not check: ${shown(`${originalError(result)}: ${readableCause(result.Cause)}`)}`
            : 'the check left no result',
          verdict: 'fail',
        },
      ];
    });
    const sorted = findings
      .map((f, i) => ({ f, i }))
      .sort((a, b) => RANK[a.f.verdict] - RANK[b.f.verdict] || a.i - b.i)
      .map(({ f }) => f);
    const counts = { pass: 0, warn: 0, fail: 0 };
    for (const f of findings) counts[f.verdict]++;
    const verdict: Verdict = counts.fail > 0 ? 'fail' : counts.warn > 0 ? 'warn' : 'pass';
    const off = sorted.filter((f) => f.verdict !== 'pass');
    const listed = off
      .slice(0, 3)
      .map((f) => `${f.check} ${shown(f.target)}: ${f.actual.replace(/\.$/, '')}`)
      .join('; ');
    const summary =
      verdict === 'pass'
        ? `${request.environment} is healthy: all ${findings.length} things checked passed.`
        : `${request.environment}: ${counts.fail} failed, ${counts.warn} warnings of ${findings.length} things checked. ${listed}${off.length > 3 ? `; and ${off.length - 3} more` : ''}.`;
    return {
      environment: request.environment,
      verdict,
      counts,
      summary,
      severity: verdict === 'pass' ? null : request.notify[verdict],
      findings: sorted,
    };
  },
  summarize: (r) => `${r.verdict}: ${r.counts.fail} fail, ${r.counts.warn} warn, ${r.counts.pass} pass`,
});

export const handler = lambdaHandler(reportHealth);
