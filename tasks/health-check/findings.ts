// What a check finds: for each thing checked, what was expected, what was there, and the verdict,
// with where to look. Every check worker answers with one list of these.
import * as z from '../zod.ts';

export const CHECKS = ['network', 'databases', 'services', 'load-balancers', 'alarms', 'logs'] as const;
export type CheckName = (typeof CHECKS)[number];

/** Where a check's result lands under the run's $.results: its name in camelCase (a plain JSONPath key). */
export const resultKey = (check: CheckName) => check.replace(/-(.)/g, (_, c: string) => c.toUpperCase());

export const VERDICTS = ['pass', 'warn', 'fail'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const FindingSchema = z.strictObject({
  check: z.enum(CHECKS),
  /** What was checked: an id, a name or an ARN. */
  target: z.string(),
  expected: z.string(),
  actual: z.string(),
  verdict: z.enum(VERDICTS),
  /** Where to look: the AWS console page of the target. */
  follow: z.string().optional(),
  /** A few of the lines found (log events), shown harmlessly. */
  samples: z.array(z.string()).optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const VerdictCountsSchema = z.strictObject({ pass: z.number(), warn: z.number(), fail: z.number() });
export type VerdictCounts = z.infer<typeof VerdictCountsSchema>;

export const CheckResultSchema = z.strictObject({
  check: z.enum(CHECKS),
  findings: z.array(FindingSchema),
  /** Findings left out to keep the run's state small, by verdict; absent when none was. */
  unlisted: VerdictCountsSchema.optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** Each verdict's count of the findings. */
export function countVerdicts(findings: readonly Finding[]): VerdictCounts {
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const f of findings) counts[f.verdict]++;
  return counts;
}

const RANK: Record<Verdict, number> = { fail: 0, warn: 1, pass: 2 };

/** Failures first, then warnings, then passes, each in the order found. */
export const worstFirst = (findings: readonly Finding[]): Finding[] =>
  findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.verdict] - RANK[b.f.verdict] || a.i - b.i)
    .map(({ f }) => f);

/**
 * Bytes (as JSON) of findings one check keeps. A run's state and output are at most 256 KiB on Step
 * Functions; the six checks' results and the report that repeats them stay under half of that.
 */
export const FINDINGS_BUDGET = 10 * 1024;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * A check's result: its findings in the order found, or, when they are more than FINDINGS_BUDGET,
 * the worst of them that fit, and how many of each verdict were left out.
 */
export function checkResult(check: CheckName, findings: readonly Finding[]): CheckResult {
  if (bytes(findings) <= FINDINGS_BUDGET) return { check, findings: [...findings] };
  const listed: Finding[] = [];
  let used = 2;
  const ranked = worstFirst(findings);
  for (const f of ranked) {
    used += bytes(f) + 1;
    if (used > FINDINGS_BUDGET) break;
    listed.push(f);
  }
  return { check, findings: listed, unlisted: countVerdicts(ranked.slice(listed.length)) };
}

/** A check's result in a few words, for a person following the run. */
export function summarizeCheck(result: CheckResult): string {
  const listed = countVerdicts(result.findings);
  const count = (verdict: Verdict) => listed[verdict] + (result.unlisted?.[verdict] ?? 0);
  return `${result.check}: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail${result.unlisted ? ` (${result.findings.length} listed)` : ''}`;
}
