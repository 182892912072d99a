// Every procedure of the registry meets its contract (test/contract/procedure-contract.ts), and the
// contract catches a procedure half-added.
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.ts';
import { rehearseScenario } from '../../rehearsal/rehearse-scenario.ts';
import { withProcedureIndex } from '../../scripts/procedures.ts';
import type { ProcedureSpec } from '../../statemachines/procedure.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { rollback } from '../../statemachines/rollback/procedure.ts';
import { config, definitionsOnce } from '../statemachines/support.ts';
import { type ContractContext, contractProblems } from './procedure-contract.ts';

let ctx: ContractContext;
beforeAll(() => {
  const { stack } = buildApp(config, { bundle: false, validate: false });
  const definitions = definitionsOnce();
  ctx = {
    template: Template.fromStack(stack),
    definitions,
    rehearse: async (procedure, scenario) => {
      const result = await rehearseScenario({ config, definitions, procedure, scenario });
      return { status: result.status, error: result.error };
    },
  };
});

describe('the procedure registry', () => {
  it.each(PROCEDURES.map((p) => [p.name, p] as const))('%s meets its contract', async (_name, procedure) => {
    // Given a registered procedure
    // When its contract is checked (template, rule, errors, every scenario rehearsed, its page)
    const problems = await contractProblems(procedure, ctx);
    // Then nothing is wrong with it
    expect(problems).toEqual([]);
  });

  it("keeps the README's index of procedures as the registry has it (npm run docs writes it)", () => {
    // Given the README / When its index is made anew from the registry / Then nothing changes
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(withProcedureIndex(readme)).toBe(readme);
  });

  it('names procedures and scenarios uniquely', () => {
    // Given the registry / When its names are read / Then each is kebab-case and unique
    const names = PROCEDURES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z](?:-?[a-z0-9])*$/);
    for (const procedure of PROCEDURES) {
      const scenarios = procedure.scenarios.map((s) => s.name);
      expect(new Set(scenarios).size, procedure.name).toBe(scenarios.length);
      for (const name of scenarios) expect(name).toMatch(/^[a-z](?:-?[a-z0-9])*$/);
    }
  });

  it('catches a procedure half-added: not in the stack, no page, an error no scenario reaches', async () => {
    // Given a new procedure that is only in its own spec: no machine, no page, and a scenario list
    // that leaves LockHeld unreached and declares a wrong outcome for another
    const scratch: ProcedureSpec = {
      ...rollback,
      name: 'scratch-restore',
      page: 'docs/procedures/scratch-restore.md',
      scenarios: rollback.scenarios
        .filter((s) => s.name !== 'lock-held')
        .map((s) =>
          s.name === 'no-capacity' ? { ...s, expect: { status: 'SUCCEEDED' as const, error: null } } : s,
        ),
    };
    // When its contract is checked
    const problems = await contractProblems(scratch, ctx);
    // Then each gap is named
    expect(problems).toEqual(
      expect.arrayContaining([
        'scratch-restore: no state machine runbook-scratch-restore in the synthesized template',
        'scratch-restore: the abandoned-run rule does not watch runbook-scratch-restore',
        'scratch-restore: no scenario reaches LockHeld',
        'scratch-restore: no scenario reaches RollbackFailed',
        'scratch-restore: no reference page docs/procedures/scratch-restore.md',
      ]),
    );
  });

  it('catches a scenario that does not end as it says, and a page that has drifted', async () => {
    // Given rollback with one scenario's outcome declared wrong, pointing at the deployment's page
    const drifted: ProcedureSpec = {
      ...rollback,
      page: 'docs/procedures/production-deployment.md',
      scenarios: rollback.scenarios.map((s) =>
        s.name === 'lock-held' ? { ...s, expect: { status: 'SUCCEEDED' as const, error: null } } : s,
      ),
    };
    // When its contract is checked
    const problems = await contractProblems(drifted, ctx);
    // Then the scenario's real outcome and each drifted table are named
    expect(problems).toEqual(
      expect.arrayContaining([
        'rollback: scenario lock-held ended FAILED LockHeld, declared SUCCEEDED',
        'rollback: the page\'s example under "Start it" is not the procedure\'s example input',
        expect.stringContaining("rollback: the page's Input table is not the schema's fields"),
        expect.stringContaining("rollback: the page's Scenarios table is not the procedure's scenarios"),
        "rollback: the page's Outcomes table names ApprovalRejected, not declared",
      ]),
    );
  });
});
