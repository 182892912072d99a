// A run as it is kept: each of its executions (the one started, and every one it started, found by
// the ARNs its history hands over to) with its whole history, read through every page, and the
// definition that ran. The archive keeps this file for years; `runbook audit` reads it back, or reads
// the same from Step Functions while it still has the history (90 days), or from a rehearsal.
import {
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { RunRecord } from './report.ts';

export const RUN_RECORD_FORMAT = 'runbook-run/1';

export interface RunFile {
  readonly format: typeof RUN_RECORD_FORMAT;
  readonly executions: RunRecord[];
}

/** The executions a history hands work over to (a .sync nested run's ARN, in its TaskSubmitted). */
export function nestedArns(history: readonly HistoryEvent[]): string[] {
  return history.flatMap((e) => {
    const output = e.taskSubmittedEventDetails?.output;
    if (!output) return [];
    try {
      const arn = (JSON.parse(output) as { ExecutionArn?: unknown }).ExecutionArn;
      return typeof arn === 'string' ? [arn] : [];
    } catch {
      return [];
    }
  });
}

/** Every page of an execution's history, oldest first. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * The run and its nested executions, read from Step Functions. `procedureOf` names the registry's
 * procedure of a state machine ARN. A definition that cannot be read (no permission, an old API) is
 * left out and the report says it is not known; a history that cannot be read is an error.
 */
export async function readRun(
  sfn: SFNClient,
  executionArn: string,
  procedureOf: (stateMachineArn: string) => string,
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const pending = [executionArn];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const arn = pending.shift() as string;
    if (seen.has(arn)) continue;
    seen.add(arn);
    const history = await historyOf(sfn, arn);
    const definition = await sfn
      .send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }))
      .then((d) => ({ definition: d.definition, stateMachineArn: d.stateMachineArn }))
      .catch(() => ({ definition: undefined, stateMachineArn: undefined }));
    const stateMachineArn =
      definition.stateMachineArn ??
      arn.replace(':execution:', ':stateMachine:').split(':').slice(0, -1).join(':');
    records.push({
      executionArn: arn,
      procedure: procedureOf(stateMachineArn),
      history,
      ...(definition.definition !== undefined && { definition: definition.definition }),
    });
    pending.push(...nestedArns(history));
  }
  return records;
}

/** The file's text: JSON, timestamps as ISO strings. */
export function runFileText(executions: readonly RunRecord[]): string {
  return `${JSON.stringify({ format: RUN_RECORD_FORMAT, executions }, null, 1)}\n`;
}

/** A run file read back; timestamps become dates again. Throws naming what is wrong. */
export function parseRunFile(text: string, where: string): RunRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`${where}: not JSON (${(error as Error).message})`);
  }
  const file = parsed as Partial<RunFile> | null;
  if (file?.format !== RUN_RECORD_FORMAT || !Array.isArray(file.executions))
    throw new Error(`${where}: not a run record (format ${RUN_RECORD_FORMAT} with executions)`);
  return file.executions.map((e, i) => {
    if (typeof e?.executionArn !== 'string' || !Array.isArray(e.history))
      throw new Error(`${where}: executions[${i}] needs executionArn and history`);
    return {
      ...e,
      procedure: String(e.procedure ?? ''),
      history: e.history.map((event) => ({
        ...event,
        timestamp: new Date(event.timestamp as unknown as string),
      })),
    };
  });
}
