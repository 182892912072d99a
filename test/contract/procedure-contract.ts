// The contract every procedure of the registry must meet, as a list of what is wrong with one (empty
// when it is whole). A procedure half-added (no page, an error no scenario reaches, a scenario that
// ends otherwise than it says, a machine missing from the stack or from the abandoned-run rule) is
// named here, so the registry test fails and says why.
import { existsSync, readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { catalogueOf, loadConfig } from '../../infra/config.ts';
import type { Asl, Definitions } from '../../rehearsal/definitions.ts';
import { faultScenario } from '../../rehearsal/scenarios.ts';
import { standaloneSvg, withMachineGraph } from '../../scripts/audit/graph.ts';
import { inputFields } from '../../scripts/procedures.ts';
import {
  faultsOf,
  type ProcedureSpec,
  type ScenarioSpec,
  stateMachineName,
} from '../../statemachines/procedure.ts';
import { errorName } from '../../tasks/errors.ts';

const ROOT = new URL('../../', import.meta.url);

export interface ContractContext {
  readonly template: Template;
  readonly definitions: Definitions;
  /** Rehearses one scenario of a procedure: its input, faults and approval decision. */
  rehearse(
    procedure: ProcedureSpec,
    scenario: ScenarioSpec,
  ): Promise<{ status: string; error: string | null }>;
}

/** The error names a definition can end with by itself: its Fail states' and the errors its Pass states set. */
export function finalErrors(asl: Asl): string[] {
  const names = new Set<string>();
  for (const state of Object.values(asl.States)) {
    if (state.Type === 'Fail' && typeof state.Error === 'string') names.add(state.Error);
    if (state.Type === 'Pass' && typeof state.Parameters?.Error === 'string')
      names.add(state.Parameters.Error);
  }
  return [...names].sort();
}

/** The rows of the first Markdown table under `## heading`, as cells (backticks removed). */
export function tableUnder(markdown: string, heading: string): string[][] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (!section) return [];
  const all = section.split('\n');
  const first = all.findIndex((l) => l.trim().startsWith('|'));
  const rest = first < 0 ? [] : all.slice(first);
  const end = rest.findIndex((l) => !l.trim().startsWith('|'));
  const table = end < 0 ? rest : rest.slice(0, end);
  return table.slice(2).map((l) =>
    l
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/`/g, '')),
  );
}

/** The first ```json block under `## heading`, parsed. */
function jsonUnder(markdown: string, heading: string): unknown {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section ? /```json\n([\s\S]*?)```/.exec(section)?.[1] : undefined;
  if (block === undefined) return undefined;
  try {
    return JSON.parse(block);
  } catch {
    return undefined;
  }
}

export async function contractProblems(procedure: ProcedureSpec, ctx: ContractContext): Promise<string[]> {
  const problems: string[] = [];
  const { name } = procedure;
  const declared = procedure.errors.map(errorName);

  // Its example validates.
  if (!procedure.input.safeParse(procedure.example).success)
    problems.push(`${name}: the example input does not validate`);

  // Its machine is in the stack, and the abandoned-run rule watches it.
  const machine = ctx.definitions.machines[name];
  if (!machine)
    problems.push(`${name}: no state machine ${stateMachineName(procedure)} in the synthesized template`);
  const machineIds = Object.entries(ctx.template.findResources('AWS::StepFunctions::StateMachine'))
    .filter(([, r]) => r.Properties?.StateMachineName === stateMachineName(procedure))
    .map(([id]) => id);
  const watched = Object.values(ctx.template.findResources('AWS::Events::Rule')).flatMap(
    (r) => (r.Properties?.EventPattern?.detail?.stateMachineArn ?? []) as { Ref?: string }[],
  );
  if (!machineIds.some((id) => watched.some((arn) => arn.Ref === id)))
    problems.push(`${name}: the abandoned-run rule does not watch ${stateMachineName(procedure)}`);

  // Each run it starts by itself validates, and is a schedule of the stack that starts its machine
  // with that input.
  const schedules = Object.values(ctx.template.findResources('AWS::Scheduler::Schedule'));
  for (const run of procedure.schedules?.(catalogueOf(loadConfig())) ?? []) {
    if (!procedure.input.safeParse(run.input).success)
      problems.push(`${name}: the input of its schedule ${run.name} does not validate`);
    const made = schedules.some(
      (r) =>
        machineIds.includes(r.Properties?.Target?.Arn?.Ref) &&
        r.Properties?.ScheduleExpression === run.expression &&
        r.Properties?.ScheduleExpressionTimezone === run.timeZone &&
        r.Properties?.Target?.Input === JSON.stringify(run.input),
    );
    if (!made)
      problems.push(`${name}: the stack has no schedule ${run.name} (${run.expression} ${run.timeZone})`);
  }

  // Every error its definition ends with is declared; every declared error is reached by a scenario.
  if (machine) {
    for (const error of finalErrors(machine.asl))
      if (!declared.includes(error))
        problems.push(`${name}: its definition can end with ${error}, not declared`);
  }
  const reached = new Set(
    procedure.scenarios.map((s) => (s.expect.error ? errorName(s.expect.error) : null)),
  );
  for (const error of declared)
    if (!reached.has(error)) problems.push(`${name}: no scenario reaches ${error}`);
  if (!procedure.scenarios.some((s) => s.expect.status === 'SUCCEEDED' && !('input' in s)))
    problems.push(`${name}: no scenario rehearses the example input to SUCCEEDED`);

  // Every scenario reaches the outcome it declares.
  const names = new Set<string>();
  for (const scenario of procedure.scenarios) {
    if (names.has(scenario.name)) problems.push(`${name}: scenario ${scenario.name} is declared twice`);
    names.add(scenario.name);
    if (!faultScenario(faultsOf(scenario))) {
      problems.push(
        `${name}: scenario ${scenario.name} names faults '${faultsOf(scenario)}' the rehearsal has not`,
      );
      continue;
    }
    if (!machine) continue;
    const outcome = await ctx.rehearse(procedure, scenario);
    const expected = {
      status: scenario.expect.status,
      error: scenario.expect.error ? errorName(scenario.expect.error) : null,
    };
    if (outcome.status !== expected.status || outcome.error !== expected.error)
      problems.push(
        `${name}: scenario ${scenario.name} ended ${outcome.status} ${outcome.error ?? ''}, declared ${expected.status} ${expected.error ?? ''}`.trim(),
      );
  }

  // Its reference page exists, and its tables say what the registry says.
  const page = new URL(procedure.page, ROOT);
  if (!existsSync(page)) {
    problems.push(`${name}: no reference page ${procedure.page}`);
    return problems;
  }
  const markdown = readFileSync(page, 'utf8');
  // It embeds the drawing of its state machine as synthesized now (npm run docs writes it).
  const asl = ctx.definitions.machines[name]?.asl;
  const svg = new URL(procedure.page.replace(/[^/]+\.md$/, `${name}.svg`), ROOT);
  if (asl) {
    const drawn = (() => {
      try {
        return withMachineGraph(markdown, name, asl);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    if (drawn !== markdown)
      problems.push(`${name}: the page's state machine section is not current (npm run docs writes it)`);
    if (!existsSync(svg) || readFileSync(svg, 'utf8') !== standaloneSvg(asl, `The ${name} state machine`))
      problems.push(
        `${name}: ${svg.pathname.split('/').slice(-3).join('/')} is not the current drawing (npm run docs writes it)`,
      );
  }
  const example = jsonUnder(markdown, 'Start it');
  if (JSON.stringify(example) !== JSON.stringify(procedure.example))
    problems.push(`${name}: the page's example under "Start it" is not the procedure's example input`);
  const inputRows = tableUnder(markdown, 'Input').map((row) => ({
    name: row[0],
    type: row[1],
    required: row[2]?.startsWith('yes'),
  }));
  const fields = inputFields(procedure.input).map((f) => ({
    name: f.name,
    type: f.type,
    required: f.required,
  }));
  if (JSON.stringify(inputRows) !== JSON.stringify(fields))
    problems.push(
      `${name}: the page's Input table is not the schema's fields (${fields.map((f) => f.name).join(', ')}), with their types and required`,
    );
  const documented = new Set(
    tableUnder(markdown, 'Outcomes')
      .map((row) => row[2] ?? '')
      .filter(Boolean),
  );
  for (const error of declared)
    if (!documented.has(error)) problems.push(`${name}: the page's Outcomes table does not name ${error}`);
  for (const error of documented)
    if (!declared.includes(error))
      problems.push(`${name}: the page's Outcomes table names ${error}, not declared`);
  const scenarioRows = tableUnder(markdown, 'Scenarios').map((row) =>
    `${row[0]} ${row[2]} ${row[3] ?? ''}`.trim(),
  );
  const scenarios = procedure.scenarios.map((s) =>
    `${s.name} ${s.expect.status} ${s.expect.error ? errorName(s.expect.error) : ''}`.trim(),
  );
  if (JSON.stringify(scenarioRows) !== JSON.stringify(scenarios))
    problems.push(
      `${name}: the page's Scenarios table is not the procedure's scenarios (${procedure.scenarios.map((s) => s.name).join(', ')}) with their outcomes`,
    );
  return problems;
}
