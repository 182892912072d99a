// A procedure's scenario rehearsed as it declares itself: against its faults, with its own input
// (else the procedure's example) and its own approval decision (else approved), unless the caller
// gives others. The CLI and the registry's contract test both rehearse this way.
import type { ProcedureSpec, ScenarioSpec } from '../statemachines/procedure.ts';
import { faultsOf } from '../statemachines/procedure.ts';
import { type RehearsalOptions, type RehearsalResult, rehearse } from './engine.ts';
import { faultScenario } from './scenarios.ts';
import type { Approver } from './types.ts';

export interface ScenarioRehearsal
  extends Pick<RehearsalOptions, 'config' | 'definitions' | 'onEvent' | 'start'> {
  readonly procedure: ProcedureSpec;
  readonly scenario: ScenarioSpec;
  /** @default the scenario's input, else the procedure's example */
  readonly input?: unknown;
  /** @default the scenario's decision, else approved */
  readonly approver?: Approver;
}

export function rehearseScenario(run: ScenarioRehearsal): Promise<RehearsalResult> {
  const { procedure, scenario } = run;
  const faults = faultScenario(faultsOf(scenario));
  if (!faults)
    throw new Error(
      `scenario ${scenario.name} of ${procedure.name} names faults '${faultsOf(scenario)}' the rehearsal has not`,
    );
  return rehearse({
    config: run.config,
    definitions: run.definitions,
    procedure: procedure.name,
    input: run.input !== undefined ? run.input : 'input' in scenario ? scenario.input : procedure.example,
    scenario: scenario.name,
    faults,
    approver: run.approver ?? scenario.approval ?? 'approve',
    ...(run.onEvent && { onEvent: run.onEvent }),
    ...(run.start && { start: run.start }),
  });
}
