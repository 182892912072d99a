// What a check finds: for each thing checked, what was expected, what was there, and the verdict,
// with where to look. Every check worker answers with one list of these.
import { printable } from '../printable.ts';
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

export const CheckResultSchema = z.strictObject({ check: z.enum(CHECKS), findings: z.array(FindingSchema) });
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** At most this many characters of text an AWS service or an application wrote, in one finding. */
const MAX_TEXT = 200;

/** Text from AWS or an application, made harmless and short enough to read in a report. */
export const shown = (text: string | undefined | null) => {
  const safe = printable(String(text ?? ''));
  return safe.length > MAX_TEXT ? `${safe.slice(0, MAX_TEXT - 1)}…` : safe;
};

/** The AWS console page of something in the region, by the console's own paths. */
export function consoleUrl(region: string, path: string): string {
  return `https://${region}.console.aws.amazon.com/${path}`;
}

/** A check's result in a few words, for a person following the run. */
export function summarizeCheck(result: CheckResult): string {
  const count = (verdict: Verdict) => result.findings.filter((f) => f.verdict === verdict).length;
  return `${result.check}: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail`;
}
