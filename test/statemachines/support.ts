// Shared by the path tests: the synthesized definitions (built once per test file) and a one-line rehearsal.
import { readFileSync } from 'node:fs';
import { type Config, loadConfig } from '../../infra/config.ts';
import { type Definitions, synthesizeDefinitions } from '../../rehearsal/definitions.ts';
import {
  type Approver,
  type RehearsalOptions,
  type RehearsalResult,
  rehearse,
  type TimelineEvent,
} from '../../rehearsal/engine.ts';
import { type FaultScenario, faultScenario } from '../../rehearsal/scenarios.ts';

export const config = loadConfig();

export const example = (procedure: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../examples/${procedure}.json`, import.meta.url), 'utf8'));

/** The release before the one running when a rehearsal starts (a rollback's usual target). */
export const PREVIOUS = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:40';
export const BASELINE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
export const RELEASE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:42';

let definitions: Definitions | undefined;

export function definitionsOnce(): Definitions {
  definitions ??= synthesizeDefinitions(config);
  return definitions;
}

export interface Run extends RehearsalResult {
  readonly events: TimelineEvent[];
}

export async function run(
  procedure: string,
  input: unknown,
  options: {
    scenario?: string;
    /** Faults of the test's own, instead of the scenario's. */
    faults?: FaultScenario;
    /** A person stops the run at a state (and redrives it). */
    stop?: RehearsalOptions['stop'];
    approver?: Approver;
    config?: Config;
    definitions?: Definitions;
    /** Sees each event as it happens (e.g. to arm a fault at a state). */
    onEvent?: (event: TimelineEvent) => void;
  } = {},
): Promise<Run> {
  const events: TimelineEvent[] = [];
  const scenario = options.scenario ?? 'happy';
  const faults = options.faults ?? faultScenario(scenario);
  if (!faults) throw new Error(`no fault scenario ${scenario}`);
  const result = await rehearse({
    config: options.config ?? config,
    definitions:
      options.definitions ?? (options.config ? synthesizeDefinitions(options.config) : definitionsOnce()),
    procedure,
    input,
    scenario,
    faults,
    approver: options.approver ?? 'approve',
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
    ...(options.stop && { stop: options.stop }),
  });
  return { ...result, events };
}

export const service = (result: RehearsalResult, name: string) => {
  const found = result.account.services.find((s) => s.service === name);
  if (!found) throw new Error(`no service ${name} in the account`);
  return found;
};

/** Mutating calls to the environment, as "service:Action:target". */
export const changes = (result: RehearsalResult) =>
  result.changes.map((c) => `${c.service}:${c.action}:${c.target}`);

/** A named scenario's faults, to build a test's own from. */
export const scenarioFaults = (name: string): FaultScenario => {
  const faults = faultScenario(name);
  if (!faults) throw new Error(`no fault scenario ${name}`);
  return faults;
};
