// A rehearsed run as the audit reads it: its record written to a folder of the test's own, read
// back as the archive would keep it, and reported on.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rehearseScenario } from '../../rehearsal/rehearse-scenario.ts';
import { rehearsalRecorder } from '../../scripts/audit/rehearsal-record.ts';
import { procedureNamed } from '../../statemachines/registry.ts';
import { type AuditReport, auditReport, type RunRecord } from '../../tasks/audit/report.ts';
import { parseRunFile } from '../../tasks/audit/run-record.ts';
import { config, definitionsOnce } from '../statemachines/support.ts';

/** Where the records go (a test removes it when done). */
export const dir = mkdtempSync(join(tmpdir(), 'runbook-audit-'));

/** A scenario rehearsed, its record written and read back, and reported on. */
export async function recorded(
  scenarioName: string,
  input?: unknown,
  procedureName = 'production-deployment',
): Promise<{ report: AuditReport; records: RunRecord[]; file: string }> {
  const procedure = procedureNamed(procedureName);
  const scenario = procedure?.scenarios.find((s) => s.name === scenarioName);
  if (!procedure || !scenario) throw new Error(`no scenario ${scenarioName}`);
  const definitions = definitionsOnce();
  const start = new Date();
  const recorder = rehearsalRecorder(definitions, config, {
    procedure: procedure.name,
    scenario: scenario.name,
    start,
    dir,
  });
  await rehearseScenario({
    config,
    definitions,
    procedure,
    scenario,
    start,
    onEvent: recorder.onEvent,
    ...(input !== undefined && { input }),
  });
  const { record } = recorder.write();
  const records = parseRunFile(readFileSync(record, 'utf8'), record);
  return { report: auditReport(records), records, file: record };
}
