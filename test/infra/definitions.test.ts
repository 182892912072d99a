// The synthesized ASL of both procedures: valid, bounded, retried with care, failures routed to the
// rollback, every state reachable; and the rehearsal's local copy differs only where it must.
// @ts-expect-error asl-validator ships no type declarations.
import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { type Asl, type Definitions, synthesizeDefinitions } from '../../rehearsal/definitions.ts';
import { CLOCK_RESOURCE, localDefinition } from '../../rehearsal/local-definition.ts';
import { GATE } from '../../statemachines/approval-gate.ts';
import { PROCEDURES as REGISTERED } from '../../statemachines/registry.ts';

type Retrier = {
  ErrorEquals: string[];
  MaxAttempts?: number;
  JitterStrategy?: string;
  IntervalSeconds?: number;
};
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
// biome-ignore lint/suspicious/noExplicitAny: ASL states are open-ended JSON.
type State = Record<string, any>;

/** Validates a definition; asl-validator mutates its input, so it gets a copy. */
const validate = (asl: Asl): { isValid: boolean; errorsText: (separator?: string) => string } =>
  aslValidator(structuredClone(asl));

const PROCEDURES = REGISTERED.map((p) => p.name);
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^:]+$/;
const MUTATING = [
  'Update Service',
  'Restore Service',
  'Register Task Definition',
  'Create Snapshot',
  'Acquire Lock',
];
/** The machines that never wait: each step follows the last at once (they read, or set values, once). */
const READ_ONCE = new Set(['health-check', 'resource-usage', 'configure-autoscaling']);
const READ_ONLY_POLLS = ['Check Rollout', 'Check Snapshot', 'Check Alarms'];
const POLL_WORKERS = ['check-deployment', 'check-snapshot', 'check-alarms'];

let definitions: Definitions;
beforeAll(() => {
  // Synthesized once for the whole file.
  definitions = synthesizeDefinitions(loadConfig());
});

const aslOf = (procedure: string): Asl => {
  const machine = definitions.machines[procedure];
  if (!machine) throw new Error(`no synthesized machine ${procedure}`);
  return machine.asl;
};
const statesOf = (procedure: string) => Object.entries(aslOf(procedure).States) as [string, State][];
const allStates = () =>
  PROCEDURES.flatMap((p) => statesOf(p).map(([name, s]) => ({ procedure: p, name, s })));
const workerOf = (s: State | undefined) => definitions.functions[String(s?.Resource)]?.name;
const retriers = (s: State): Retrier[] => s.Retry ?? [];
const catchers = (s: State): Catcher[] => s.Catch ?? [];

/** Successors of a state: Next, Default, each Choice's Next, and (with catches) each Catch's Next. */
function successors(s: State, withCatches = true): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const choice of (s.Choices ?? []) as { Next: string }[]) out.push(choice.Next);
  if (withCatches) for (const c of catchers(s)) out.push(c.Next);
  return [...new Set(out)];
}

/** The states reachable from `from`, not walking past any state in `stopAt`. */
function reachable(
  asl: Asl,
  from: string,
  { withCatches = true, stopAt = [] as string[] } = {},
): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name) || stopAt.includes(name)) continue;
    seen.add(name);
    const state = asl.States[name];
    if (!state) throw new Error(`transition to missing state '${name}'`);
    todo.push(...successors(state, withCatches));
  }
  return seen;
}

describe.each(PROCEDURES)('%s', (procedure) => {
  it('is valid ASL according to asl-validator', () => {
    // Given the synthesized definition
    const asl = aslOf(procedure);
    // When asl-validator checks a copy of it
    const result = validate(asl);
    // Then it reports no errors, and left the definition as it was
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
    expect(Object.keys(asl.States).length).toBeGreaterThan(10);
    expect(Object.values(asl.States).every((s) => s.QueryLanguage === undefined)).toBe(true);
  });

  it('has an execution timeout and every state is reachable from StartAt', () => {
    // Given the definition
    const asl = aslOf(procedure);
    // When the graph is walked from StartAt over Next, Default, Choices and Catch
    const seen = reachable(asl, asl.StartAt);
    // Then every state is reached (and the machine itself times out)
    expect([...seen].sort()).toEqual(Object.keys(asl.States).sort());
    expect(asl.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('every Task has a timeout: TimeoutSeconds, or TimeoutSecondsPath for the approval wait', () => {
    // Given the Task states
    const tasks = statesOf(procedure).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, s] of tasks) {
      // When its timeout fields are read
      // Then the approval wait has only TimeoutSecondsPath; every other Task a positive TimeoutSeconds
      if (name === 'Wait For Approval') {
        expect(s.TimeoutSecondsPath, name).toMatch(/^\$\./);
        expect(s.TimeoutSeconds, name).toBeUndefined();
      } else {
        expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
        expect(s.TimeoutSecondsPath, name).toBeUndefined();
      }
    }
  });

  it('every Lambda Task retries transient Lambda errors with full jitter, and TransientAwsError', () => {
    // Given the Tasks whose Resource is a Lambda function ARN
    const lambdaTasks = statesOf(procedure).filter(
      ([, s]) => s.Type === 'Task' && LAMBDA_FUNCTION_ARN.test(String(s.Resource)),
    );
    // (the smallest machine validates, reads, and has its notices of each outcome)
    expect(lambdaTasks.length).toBeGreaterThanOrEqual(5);
    for (const [name, s] of lambdaTasks) {
      const retry = retriers(s);
      // When the retrier that handles each transient Lambda error is found (the first that lists it wins)
      for (const error of LAMBDA_TRANSIENT) {
        const first = retry.find((r) => r.ErrorEquals.includes(error));
        // Then it exists, retries at least once and uses JitterStrategy FULL
        expect(first, `${name}: ${error}`).toBeDefined();
        expect(first?.JitterStrategy, `${name}: ${error}`).toBe('FULL');
        expect(first?.MaxAttempts ?? 3, `${name}: ${error}`).toBeGreaterThan(0);
      }
      // And TransientAwsError has its own retrier
      const transient = retry.find((r) => r.ErrorEquals.includes('TransientAwsError'));
      expect(transient, `${name}: TransientAwsError`).toBeDefined();
      expect(transient?.MaxAttempts ?? 3, name).toBeGreaterThan(0);
    }
  });

  it('Fail states take their error from ErrorPath/CausePath or a fixed Error', () => {
    // Given the Fail states
    const fails = statesOf(procedure).filter(([, s]) => s.Type === 'Fail');
    expect(fails.length).toBeGreaterThan(0);
    for (const [name, s] of fails) {
      // When their error fields are read
      const fixed = typeof s.Error === 'string' && s.Error.length > 0;
      const fromPaths = typeof s.ErrorPath === 'string' && typeof s.CausePath === 'string';
      // Then the run's error is named either way
      expect(fixed || fromPaths, name).toBe(true);
    }
  });

  it('is what the local copy runs, except Waits become clock Tasks and TimeoutSecondsPath is dropped', () => {
    // Given the synthesized definition and the rehearsal's local copy of it
    const asl = aslOf(procedure);
    const before = structuredClone(asl);
    const { asl: local, waits } = localDefinition(asl);
    // When they are compared field by field
    const { States: states, ...top } = asl;
    const { States: localStates, ...localTop } = local;
    // Then the copy leaves the original untouched, keeps every top-level field and every state name,
    expect(asl).toEqual(before);
    expect(localTop).toEqual(top);
    expect(Object.keys(localStates)).toEqual(Object.keys(states));
    let waitCount = 0;
    let pathCount = 0;
    for (const [name, s] of Object.entries(states) as [string, State][]) {
      const copy = localStates[name];
      if (s.Type === 'Wait') {
        // (a) turns each Wait into a Task on CLOCK_RESOURCE that keeps Next/End/Comment (and all else but the duration)
        waitCount++;
        const { Type: _type, Seconds, SecondsPath, ...rest } = s;
        expect(copy, name).toEqual({
          ...rest,
          Type: 'Task',
          Resource: CLOCK_RESOURCE,
          ...(SecondsPath !== undefined && { Parameters: { 'seconds.$': SecondsPath, 'input.$': '$' } }),
        });
        for (const key of ['Next', 'End', 'Comment']) expect(copy[key], `${name}.${key}`).toEqual(s[key]);
        expect(waits[name], name).toEqual(
          Seconds !== undefined ? { seconds: Seconds } : { secondsPath: SecondsPath },
        );
      } else if (s.Type === 'Task' && s.TimeoutSecondsPath !== undefined) {
        // (b) drops TimeoutSecondsPath, and nothing else
        pathCount++;
        const { TimeoutSecondsPath: _path, ...rest } = s;
        expect(copy, name).toEqual(rest);
      } else {
        // and leaves every other state exactly as it is
        expect(copy, name).toEqual(s);
      }
    }
    expect(Object.keys(waits).sort()).toEqual(
      Object.entries(states)
        .filter(([, s]) => s.Type === 'Wait')
        .map(([n]) => n)
        .sort(),
    );
    // (every machine waits somewhere but those that read or set once)
    expect(waitCount > 0).toBe(!READ_ONCE.has(procedure));
    // (the approval gate's timeout is a path)
    expect(pathCount).toBe(GATE in states ? 1 : 0);
    expect(validate(local).isValid).toBe(true);
  });
});

describe('retries across both procedures', () => {
  it('no retrier retries States.ALL', () => {
    // Given every state of both definitions
    const states = allStates();
    // When their retriers are collected
    const offenders = states.flatMap(({ procedure, name, s }) =>
      retriers(s)
        .filter((r) => r.ErrorEquals.includes('States.ALL'))
        .map(() => `${procedure}: ${name}`),
    );
    // Then none lists States.ALL (a blind retry could repeat a change that happened)
    expect(states.filter(({ s }) => retriers(s).length > 0).length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });

  it('mutating tasks never retry a function that died (Lambda.Unknown, Sandbox.Timedout, Runtime.OutOfMemory)', () => {
    // Given the mutating Tasks by name, and every Task invoking a worker that changes something
    const changingWorkers = ['update-service', 'register-task-definition', 'create-snapshot', 'acquire-lock'];
    const found = new Set<string>();
    for (const { procedure, name, s } of allStates()) {
      const worker = workerOf(s);
      if (!MUTATING.includes(name) && !changingWorkers.includes(String(worker))) continue;
      found.add(name);
      // When its retriers are read
      // Then none lists Lambda.Unknown (the change may have happened before the function died)
      const died = retriers(s).filter((r) =>
        ['Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.OutOfMemory'].some((e) => r.ErrorEquals.includes(e)),
      );
      expect(died, `${procedure}: ${name}`).toEqual([]);
    }
    expect([...found]).toEqual(
      expect.arrayContaining([...MUTATING, 'Maintenance Page On', 'Maintenance Page Off']),
    );
  });

  it('read-only polls retry a function that died: Lambda.Unknown, a timeout, out of memory', () => {
    // Given the poll Tasks: by name, and every Task invoking a check worker (also the maintenance page's checks)
    const polls = allStates().filter(
      ({ name, s }) => READ_ONLY_POLLS.includes(name) || POLL_WORKERS.includes(String(workerOf(s))),
    );
    expect([...new Set(polls.map((p) => p.name))]).toEqual(expect.arrayContaining(READ_ONLY_POLLS));
    expect(polls.length).toBeGreaterThan(READ_ONLY_POLLS.length);
    for (const { procedure, name, s } of polls) {
      // When the retriers are read
      const unknown = retriers(s).find((r) => r.ErrorEquals.includes('Lambda.Unknown'));
      // Then one retries them all, with full jitter
      expect(unknown, `${procedure}: ${name}`).toBeDefined();
      expect(unknown?.ErrorEquals, name).toEqual([
        'Lambda.Unknown',
        'Sandbox.Timedout',
        'Runtime.OutOfMemory',
      ]);
      expect(unknown?.MaxAttempts ?? 3, name).toBeGreaterThan(0);
      expect(unknown?.JitterStrategy, name).toBe('FULL');
    }
  });
});

describe('production-deployment failure routing', () => {
  // The way into the rollback: the lock is handed over (single-use token), then Roll Back starts.
  const rollsBack = (s: State) =>
    catchers(s).some((c) => c.Next === 'Hand Over Lock' && c.ErrorEquals.includes('States.ALL'));

  it('the lock is handed over to the rollback, and a failed hand-over pages like a failed rollback', () => {
    // Given production-deployment
    const asl = aslOf('production-deployment');
    // When the hand-over step is read
    const handOver = asl.States['Hand Over Lock'] as State;
    // Then it leads to Roll Back, which passes its token in the rollback's input; a failed hand-over
    // releases the lock and pages, as a rollback that fails for any other reason than the lock does
    expect(handOver.Next).toBe('Roll Back');
    expect(asl.States['Roll Back']?.Parameters?.Input?.['joinToken.$']).toBe('$.handover.token');
    const [toRetry] = catchers(asl.States['Roll Back'] as State).map((c) => c.Next);
    const retry = asl.States[toRetry ?? ''] as State & { Default?: string; Choices?: { Next: string }[] };
    expect(retry.Type).toBe('Choice');
    expect(catchers(handOver).map((c) => c.Next)).toEqual([retry.Default]);
    // and a rollback that could not join the lock gets it handed over once more, under a name of its own
    expect(retry.Choices?.map((c) => c.Next)).toEqual(['Hand Over Lock Again']);
    // (a failure without a Cause, which a timeout may be, goes to the page, not to a runtime error)
    expect(retry.Choices?.[0]).toMatchObject({
      And: [
        { Variable: '$.rollbackFailure.Cause', IsPresent: true },
        { Variable: '$.rollbackFailure.Cause', IsString: true },
        { Variable: '$.rollbackFailure.Cause', StringMatches: '*LockHeld*' },
      ],
    });
    expect(asl.States['Hand Over Lock Again']?.Next).toBe('Roll Back Again');
    expect(asl.States['Roll Back Again']?.Parameters?.['Name.$']).not.toEqual(
      asl.States['Roll Back']?.Parameters?.['Name.$'],
    );
    for (const again of ['Hand Over Lock Again', 'Roll Back Again'])
      expect(catchers(asl.States[again] as State).map((c) => c.Next)).toEqual([retry.Default]);
  });

  it('every Task reachable after Update Service (until the run is baked) catches into the rollback', () => {
    // Given production-deployment
    const asl = aslOf('production-deployment');
    // When the Tasks reached from Update Service along the normal flow, up to Record Known Good, are collected
    // (Record Known Good runs after the bake: its failure is not a reason to roll back)
    const after = [
      ...reachable(asl, 'Update Service', { withCatches: false, stopAt: ['Record Known Good'] }),
    ];
    const tasks = after.filter((name) => asl.States[name]?.Type === 'Task');
    // Then they are the update, rollout (with its targets), maintenance page and bake steps, and each
    // catches States.ALL into the rollback
    expect(tasks).toEqual(
      expect.arrayContaining(['Update Service', 'Check Rollout', 'Maintenance Page Off', 'Check Alarms']),
    );
    // (the maintenance page's shutdown check, whatever its name: a second check-deployment poll)
    expect(tasks.filter((name) => workerOf(asl.States[name]) === 'check-deployment')).toHaveLength(2);
    for (const name of tasks) expect(rollsBack(asl.States[name]), name).toBe(true);
  });

  it('switching the maintenance page on (a change) also catches into the rollback', () => {
    // Given production-deployment
    const asl = aslOf('production-deployment');
    // When the Tasks from Maintenance Page On up to Update Service are collected
    const on = [...reachable(asl, 'Maintenance Page On', { withCatches: false, stopAt: ['Update Service'] })];
    const tasks = on.filter((name) => asl.States[name]?.Type === 'Task');
    // Then they are the switch and its rollout check, and each catches into the rollback
    expect(tasks).toHaveLength(2);
    expect(tasks.map((name) => workerOf(asl.States[name])).sort()).toEqual([
      'check-deployment',
      'update-service',
    ]);
    expect(tasks).toContain('Maintenance Page On');
    for (const name of tasks) expect(rollsBack(asl.States[name]), name).toBe(true);
  });

  it('no Task before the first change rolls back', () => {
    // Given production-deployment
    const asl = aslOf('production-deployment');
    // When the Tasks reachable from StartAt before the page or the service is touched are collected
    const before = [
      ...reachable(asl, asl.StartAt, {
        withCatches: false,
        stopAt: ['Maintenance Page On', 'Update Service'],
      }),
    ].filter((name) => asl.States[name]?.Type === 'Task');
    // Then there is nothing to roll back: none of them catches to Roll Back
    expect(before).toEqual(
      expect.arrayContaining([
        'Capture Baseline',
        'Wait For Approval',
        'Create Snapshot',
        'Register Task Definition',
      ]),
    );
    for (const name of before) {
      expect(
        catchers(asl.States[name]).map((c) => c.Next),
        name,
      ).not.toContain('Hand Over Lock');
    }
  });

  it('Wait For Approval catches States.Timeout -> Approval Expired and ApprovalRejected, before States.ALL', () => {
    // Given the approval wait
    const approval = aslOf('production-deployment').States['Wait For Approval'] as State;
    const catches = catchers(approval);
    // When its catchers are read in order (the first match wins)
    const timeout = catches.findIndex((c) => c.ErrorEquals.includes('States.Timeout'));
    const rejected = catches.findIndex((c) => c.ErrorEquals.includes('ApprovalRejected'));
    const all = catches.findIndex((c) => c.ErrorEquals.includes('States.ALL'));
    // Then an expired approval goes to Approval Expired and a rejection is caught on its own,
    // both ahead of any States.ALL catcher
    expect(timeout).toBeGreaterThanOrEqual(0);
    expect(catches[timeout]?.Next).toBe('Approval Expired');
    expect(rejected).toBeGreaterThanOrEqual(0);
    expect(catches[rejected]?.Next).toBe('Release Lock After Failure');
    if (all >= 0) {
      expect(timeout).toBeLessThan(all);
      expect(rejected).toBeLessThan(all);
    }
    expect(approval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
  });
});

describe('rds-maintenance failure routing', () => {
  const asl = () => aslOf('rds-maintenance');
  const nexts = (s: State | undefined) => (s ? catchers(s) : []).map((c) => [c.ErrorEquals.join(), c.Next]);

  it('no Task before the change pages, and the snapshot comes before the change on every path', () => {
    const before = [...reachable(asl(), asl().StartAt, { withCatches: false, stopAt: ['Modify Instance'] })];
    const tasks = before.filter((name) => asl().States[name]?.Type === 'Task');
    expect(tasks).toEqual(
      expect.arrayContaining([
        'Check Upgrade Target',
        'Wait For Approval',
        'Time Until Window',
        'Create Snapshot',
      ]),
    );
    for (const name of tasks)
      expect(
        catchers(asl().States[name] as State).map((c) => c.Next),
        name,
      ).not.toContain('Maintenance Not Complete');
    // Every way to the change passes the snapshot: without Create Snapshot, Modify Instance is not reached
    const withoutSnapshot = reachable(asl(), asl().StartAt, {
      withCatches: false,
      stopAt: ['Create Snapshot'],
    });
    expect(withoutSnapshot.has('Modify Instance')).toBe(false);
    // And the approval: without the gate's verification, neither the snapshot nor the change
    const withoutApproval = reachable(asl(), asl().StartAt, {
      withCatches: false,
      stopAt: ['Verify Approval', 'Approval Not Required'],
    });
    expect(withoutApproval.has('Create Snapshot')).toBe(false);
  });

  it('from the change on, a refusal fails plainly and anything else pages', () => {
    expect(nexts(asl().States['Modify Instance'])).toEqual([
      ['MaintenanceFailed', 'Release Lock After Failure'],
      ['States.ALL', 'Maintenance Not Complete'],
    ]);
    const after = [...reachable(asl(), 'Modify Instance', { withCatches: false, stopAt: ['Release Lock'] })];
    const tasks = after.filter((name) => asl().States[name]?.Type === 'Task' && name !== 'Modify Instance');
    expect(tasks.map((name) => workerOf(asl().States[name]))).toEqual(['check-maintenance']);
    for (const name of tasks)
      expect(nexts(asl().States[name]), name).toEqual([['States.ALL', 'Maintenance Not Complete']]);
    // The page is a page
    expect(reachable(asl(), 'Maintenance Not Complete').has('Page Maintenance Failed')).toBe(true);
  });
});

describe('the error names a run can end with are in the definitions', () => {
  it.each([
    ['production-deployment', { 'Rolled Back': 'DeploymentRolledBack', 'Rollback Failed': 'RollbackFailed' }],
    ['rollback', { 'Rollback Failed': 'RollbackFailed' }],
  ] as const)(
    '%s: each outcome of its own is a Fail state with a fixed Error; Fail Run ends with the caught error',
    (procedure, outcomes) => {
      // Given the Fail states of the definition
      const fails = Object.fromEntries(statesOf(procedure).filter(([, s]) => s.Type === 'Fail'));
      // Then the outcomes carry their names, and the catch-all Fail reads the caught error
      for (const [state, error] of Object.entries(outcomes)) {
        expect(fails[state], state).toMatchObject({ Error: error, CausePath: '$.outcome.cause' });
      }
      expect(fails['Fail Run']).toMatchObject({ ErrorPath: '$.failure.Error', CausePath: '$.outcome.cause' });
      expect(Object.keys(fails).sort()).toEqual(['Fail Run', ...Object.keys(outcomes)].sort());
    },
  );
});
