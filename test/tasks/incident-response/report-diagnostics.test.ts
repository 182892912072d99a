import { describe, expect, it } from 'vitest';
import { diagnosticsLines, reportDiagnostics } from '../../../tasks/incident-response/report-diagnostics.ts';
import { section } from '../../../tasks/incident-response/sections.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { request } from './request.ts';

const clients = testClients();
const quiet = (name: Parameters<typeof section>[0]) =>
  section(name, `The ${name}`, { attention: [], lines: [`${name} is fine`], follow: null });

describe('report-diagnostics', () => {
  it('keeps the sections in order; a reader that could not run is a section saying why, and stands out', async () => {
    const report = await invoke(
      reportDiagnostics,
      {
        request,
        results: {
          database: quiet('database'),
          service: {
            ...section('service', 'The service', {
              attention: ['1 of 3 tasks running'],
              lines: Array.from({ length: 20 }, (_, i) => `line ${i}`),
              follow: 'https://console',
            }),
            desiredCount: 3,
            runningCount: 1,
          },
          changes: {
            Error: 'AccessDeniedException',
            Cause: JSON.stringify({
              errorType: 'AccessDeniedException',
              errorMessage: 'not allowed \u001b[2J',
            }),
          },
          targets: quiet('targets'),
          traffic: quiet('traffic'),
        },
      },
      clients,
    );
    expect(report.sections.map((s) => [s.section, s.unavailable])).toEqual([
      ['changes', 'AccessDeniedException: not allowed \\x1b[2J'],
      ['service', null],
      ['targets', null],
      ['traffic', null],
      ['errors', 'the reader left no result'],
      ['database', null],
    ]);
    expect(report.sections[1]).toMatchObject({ lines: expect.any(Array), more: 5 });
    expect(report.sections[1]?.lines).toHaveLength(15);
    expect(report.attention).toEqual([
      'changes: the changes section could not be read: AccessDeniedException: not allowed \\x1b[2J',
      'service: 1 of 3 tasks running',
      'errors: the errors section could not be read: the reader left no result',
    ]);
    expect(report.summary).toBe(
      'P1 INC-2041: diagnostics of app in prod: 3 things stand out, first changes: the changes section could not be read: AccessDeniedException: not allowed \\x1b[2J.',
    );
    // As a person reads it
    const lines = diagnosticsLines(report);
    expect(lines.slice(0, 4)).toEqual([report.summary, '', 'What stands out:', `  - ${report.attention[0]}`]);
    expect(lines).toContain(
      'The changes section: could not be read (AccessDeniedException: not allowed \\x1b[2J)',
    );
    expect(lines).toContain('  (and 5 more)');
    expect(lines).toContain('  https://console');
  });

  it('nothing standing out says so, in one line', async () => {
    const names = ['changes', 'service', 'targets', 'traffic', 'errors', 'database'] as const;
    const report = await invoke(
      reportDiagnostics,
      { request, results: Object.fromEntries(names.map((n) => [n, quiet(n)])) },
      clients,
    );
    expect(report.summary).toBe('P1 INC-2041: diagnostics of app in prod found nothing that stands out.');
    expect(diagnosticsLines(report)[1]).toBe('');
    expect(diagnosticsLines(report)[2]).toBe('The changes');
  });
});
