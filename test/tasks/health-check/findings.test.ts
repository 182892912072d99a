import { describe, expect, it } from 'vitest';
import {
  CHECKS,
  type CheckName,
  checkResult,
  FINDINGS_BUDGET,
  type Finding,
  resultKey,
  summarizeCheck,
  type Verdict,
} from '../../../tasks/health-check/findings.ts';
import { HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { reportHealth } from '../../../tasks/health-check/report-health.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

/** Step Functions' limit on a state's input or output, and on an execution's output. */
const STATE_LIMIT = 256 * 1024;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const finding = (check: CheckName, i: number, verdict: Verdict, size = 0): Finding => ({
  check,
  target: `target-${i}${'t'.repeat(size)}`,
  expected: `expected ${'e'.repeat(size)}`,
  actual: `actual ${'a'.repeat(size)}`,
  verdict,
  follow: `https://us-east-1.console.aws.amazon.com/${'f'.repeat(size)}`,
  ...(size > 0 && { samples: ['s', 's', 's'].map((s) => s.repeat(size)) }),
});

describe('checkResult', () => {
  it('keeps findings that fit its budget as they are, in the order found', () => {
    const findings = [
      finding('alarms', 1, 'pass'),
      finding('alarms', 2, 'fail'),
      finding('alarms', 3, 'warn'),
    ];

    expect(checkResult('alarms', findings)).toStrictEqual({ check: 'alarms', findings });
  });

  it('keeps the worst findings that fit its budget, and counts by verdict those left out', () => {
    // Given 300 findings, passes before warnings before failures, far more than the budget holds
    const findings = [
      ...Array.from({ length: 100 }, (_, i) => finding('services', i, 'pass')),
      ...Array.from({ length: 100 }, (_, i) => finding('services', 100 + i, 'warn')),
      ...Array.from({ length: 100 }, (_, i) => finding('services', 200 + i, 'fail')),
    ];

    // When
    const result = checkResult('services', findings);

    // Then failures come first, in the order found, and what is kept fits the budget
    expect(bytes(result.findings)).toBeLessThanOrEqual(FINDINGS_BUDGET);
    expect(bytes([...result.findings, findings[0]])).toBeGreaterThan(FINDINGS_BUDGET);
    expect(result.findings[0]).toStrictEqual(findings[200]);
    expect(result.findings.map((f) => f.target)).toStrictEqual(
      findings.slice(200, 200 + result.findings.length).map((f) => f.target),
    );
    expect(result.unlisted).toStrictEqual({ pass: 100, warn: 100, fail: 100 - result.findings.length });
    expect(summarizeCheck(result)).toBe(
      `services: 100 pass, 100 warn, 100 fail (${result.findings.length} listed)`,
    );
  });

  it('keeps findings exactly at its budget', () => {
    // Given findings whose JSON is exactly the budget
    const one = finding('logs', 0, 'fail');
    const pad = FINDINGS_BUDGET - bytes([one, { ...one, target: '' }]);
    const findings = [one, { ...one, target: 'x'.repeat(pad) }];
    expect(bytes(findings)).toBe(FINDINGS_BUDGET);

    // Then both are kept; one byte more leaves the second out
    expect(checkResult('logs', findings)).toStrictEqual({ check: 'logs', findings });
    const over = [one, { ...one, target: 'x'.repeat(pad + 1) }];
    expect(checkResult('logs', over)).toStrictEqual({
      check: 'logs',
      findings: [one],
      unlisted: { pass: 0, warn: 0, fail: 1 },
    });
  });
});

describe('the run state of a health check that finds everything off', () => {
  it("stays under Step Functions' 256 KiB with the six results and the report, and counts every finding", async () => {
    // Given each check finding 2,000 things off, each with long texts
    const request = HealthRequestSchema.parse({
      procedure: 'health-check',
      environment: 'prod',
      service: 'health check',
      region: 'us-east-1',
      requestedBy: 'jane',
      reason: null,
      vpcTag: { key: 'Environment', value: 'prod' },
      databases: [],
      services: [],
      alarmNamePrefix: 'enterprise-prod-',
      logs: [],
      notify: { fail: 'page', warn: 'warning' },
    });
    const results = Object.fromEntries(
      CHECKS.map((check) => [
        resultKey(check),
        checkResult(
          check,
          Array.from({ length: 2000 }, (_, i) => finding(check, i, i % 2 ? 'warn' : 'fail', 200)),
        ),
      ]),
    );

    // When the report is made of them
    const report = await invoke(reportHealth, { request, results }, testClients());

    // Then the state holding request, results and report fits, and the counts are of all 12,000
    expect(bytes({ request, results, report })).toBeLessThan(STATE_LIMIT);
    expect(report.counts).toStrictEqual({ pass: 0, warn: 6000, fail: 6000 });
    expect(report.unlisted?.fail).toBe(6000 - report.findings.length);
    expect(report.summary).toContain(
      `${12_000 - report.findings.length} of them are not listed in this report (each check keeps its worst).`,
    );
  });
});
