// The health check's report: every check's findings in one list (a check that could not run is a
// failed finding saying why), the verdict of the whole (its worst finding), the counts, and how loud
// the notice of it is by the environment's config (none when everything passed). Changes nothing.
import { originalError, readableCause } from '../notify.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  CHECKS,
  CheckResultSchema,
  countVerdicts,
  type Finding,
  FindingSchema,
  resultKey,
  VERDICTS,
  type Verdict,
  VerdictCountsSchema,
  worstFirst,
} from './findings.ts';
import { HealthRequestSchema } from './input.ts';

/** What a check that could not run leaves: the error its Catch caught. */
const CheckFailureSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const HealthReportSchema = z.strictObject({
  environment: z.string(),
  verdict: z.enum(VERDICTS),
  /** Of everything checked, listed or not. */
  counts: VerdictCountsSchema,
  /** One line: the verdict and what is off. */
  summary: z.string(),
  /** How loud its notice is; null: nothing to announce. */
  severity: z.enum(['info', 'warning', 'page']).nullable(),
  /** Failures first, then warnings, then passes, each in the order of the checks. */
  findings: z.array(FindingSchema),
  /** Findings the checks left out to keep the run's state small (the worst are kept); absent when none. */
  unlisted: VerdictCountsSchema.optional(),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

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
    const unlisted = { pass: 0, warn: 0, fail: 0 };
    const findings = CHECKS.flatMap((check): Finding[] => {
      const result = results[resultKey(check)];
      if (result && 'findings' in result) {
        for (const verdict of VERDICTS) unlisted[verdict] += result.unlisted?.[verdict] ?? 0;
        return result.findings;
      }
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
    const sorted = worstFirst(findings);
    const listedCounts = countVerdicts(findings);
    const counts = {
      pass: listedCounts.pass + unlisted.pass,
      warn: listedCounts.warn + unlisted.warn,
      fail: listedCounts.fail + unlisted.fail,
    };
    const total = counts.pass + counts.warn + counts.fail;
    const left = unlisted.pass + unlisted.warn + unlisted.fail;
    const verdict: Verdict = counts.fail > 0 ? 'fail' : counts.warn > 0 ? 'warn' : 'pass';
    const off = sorted.filter((f) => f.verdict !== 'pass');
    const offCount = counts.fail + counts.warn;
    const listed = off
      .slice(0, 3)
      .map((f) => `${f.check} ${shown(f.target)}: ${f.actual.replace(/\.$/, '')}`)
      .join('; ');
    const summary =
      (verdict === 'pass'
        ? `${request.environment} is healthy: all ${total} things checked passed.`
        : `${request.environment}: ${counts.fail} failed, ${counts.warn} warnings of ${total} things checked. ${listed}${offCount > 3 ? `; and ${offCount - 3} more` : ''}.`) +
      (left > 0 ? ` ${left} of them are not listed in this report (each check keeps its worst).` : '');
    return {
      environment: request.environment,
      verdict,
      counts,
      summary,
      severity: verdict === 'pass' ? null : request.notify[verdict],
      findings: sorted,
      ...(left > 0 && { unlisted }),
    };
  },
  summarize: (r) => `${r.verdict}: ${r.counts.fail} fail, ${r.counts.warn} warn, ${r.counts.pass} pass`,
});

export const handler = lambdaHandler(reportHealth);
