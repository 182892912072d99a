// Every rehearsal leaves its record as a run on AWS would: the histories of its executions in the
// real event format (a run record file, as the archive keeps) and the HTML audit page, in a folder
// (by default .runbook-local/rehearsals/). `runbook audit <file>` reads the record back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../infra/config.ts';
import { historyRecorder, sdkHistory } from '../../local/history.ts';
import type { Definitions } from '../../rehearsal/definitions.ts';
import type { TimelineEvent } from '../../rehearsal/types.ts';
import { auditReport, type RunRecord } from '../../tasks/audit/report.ts';
import { runFileText } from '../../tasks/audit/run-record.ts';
import { graphOf } from './graph.ts';
import { htmlReport } from './html.ts';

export const REHEARSALS_DIR = join('.runbook-local', 'rehearsals');

export interface RehearsalRecorder {
  readonly onEvent: (event: TimelineEvent) => void;
  /** Writes the record and the page; returns their paths. */
  write(): { record: string; report: string };
}

const stampOf = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function rehearsalRecorder(
  definitions: Definitions,
  config: Config,
  run: { procedure: string; scenario: string; start: Date; dir: string },
): RehearsalRecorder {
  const recorder = historyRecorder(definitions, config.region, run.start.getTime());
  return {
    onEvent: recorder.onEvent,
    write() {
      const records: RunRecord[] = [...recorder.executions.values()].map((e) => ({
        executionArn: e.executionArn,
        procedure: e.procedure,
        definition: JSON.stringify(definitions.machines[e.procedure]?.asl ?? null),
        history: sdkHistory(e.history),
      }));
      mkdirSync(run.dir, { recursive: true });
      const base = join(run.dir, `${stampOf(run.start)}-${run.procedure}-${run.scenario}`);
      const paths = { record: `${base}.run.json`, report: `${base}.html` };
      writeFileSync(paths.record, runFileText(records));
      writeFileSync(paths.report, htmlReport(auditReport(records), records, graphOf));
      return paths;
    },
  };
}
