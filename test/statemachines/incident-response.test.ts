// Every path of the incident-response state machine, executed by the local engine on the synthesized
// definition against the simulated account: the bundle, where it is announced, what the action
// changed, what the service ends with, and what is locked.
import { beforeAll, describe, expect, it } from 'vitest';
import { incidentResponse } from '../../statemachines/incident-response/procedure.ts';
import { faultsOf } from '../../statemachines/procedure.ts';
import { DiagnosticsSchema } from '../../tasks/incident-response/report-diagnostics.ts';
import { changes, config, definitionsOnce, example, run, scenarioFaults, service } from './support.ts';

const input = example('incident-response');
const force = { ...input, severity: 'P0', action: 'force-new-deployment' };
const scaleUp = { ...input, action: 'scale-up', desiredCount: 6 };
const routes = config.environments.prod?.incidents;
const P0 = routes?.P0 ?? [];
const P1 = routes?.P1 ?? [];

/** The fault scenario of one of the procedure's scenarios. */
const faultsFor = (name: string) => {
  const spec = incidentResponse.scenarios.find((s) => s.name === name);
  if (!spec) throw new Error(`no scenario ${name}`);
  return faultsOf(spec);
};

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const app = (result: Result) => service(result, 'app-service');
const outcome = (result: Result) => ({ status: result.status, error: result.error });
const notices = (result: Result) => result.account.notifications.map((n) => [n.event, n.topicArn]);
const bundle = (result: Result) => DiagnosticsSchema.parse(result.output);
const sectionOf = (result: Result, name: string) => {
  const section = bundle(result).sections.find((s) => s.section === name);
  if (!section) throw new Error(`no section ${name}`);
  return section;
};

describe('incident-response', () => {
  it('diagnostics only: reads every section, announces the bundle to the P1 topics alone, changes nothing, takes no lock', async () => {
    const result = await run('incident-response', input);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    const report = bundle(result);
    expect(report.sections.map((s) => [s.section, s.unavailable])).toEqual([
      ['changes', null],
      ['service', null],
      ['targets', null],
      ['traffic', null],
      ['errors', null],
      ['database', null],
    ]);
    expect(report.attention).toEqual([]);
    expect(report.summary).toBe('P1 INC-2041: diagnostics of app in prod found nothing that stands out.');
    expect(notices(result)).toEqual(P1.map((topic) => ['incident', topic]));
    expect(result.account.notifications[0]?.severity).toBe('page');
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([]);
    expect(sectionOf(result, 'service').lines[0]).toBe('app-service: 3 running, 0 pending, 3 desired');
    expect(sectionOf(result, 'database').lines[0]).toMatch(/^enterprise-prod-db: available, /);
  });

  it('bad-change: the bundle names the change by hand first, then the 5xx, the slow responses and the errors, shown harmlessly', async () => {
    const result = await run('incident-response', input, { scenario: faultsFor('bad-change') });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    const { attention } = bundle(result);
    expect(attention[0]).toMatch(
      /^changes: 1 UpdateService call in the last 120 minutes, the latest \S+ \(50 min ago\) by sam@company\.com$/,
    );
    expect(attention.slice(1).map((a) => a.replace(/\d[\d.]*(?![\dx])/g, 'N'))).toEqual([
      'traffic: N 5xx in the last N minutes (N % of N requests)',
      'traffic: responses take N s on average in the last N minutes',
      'errors: N lines matching ERROR in /aws/application/enterprise-prod in the last N minutes (its health check allows N)',
    ]);
    expect(sectionOf(result, 'changes').lines).toEqual([
      expect.stringMatching(/UpdateService by sam@company\.com: desiredCount=3$/),
    ]);
    // An ESC sequence in a log line is shown as an escape, never sent to a terminal or a notice as is
    const lines = sectionOf(result, 'errors').lines;
    expect(lines.length).toBe(10);
    for (const line of lines) expect(line).toContain('\\x1b[2J');
    expect(JSON.stringify(result.output)).not.toContain('\u001b');
    expect(result.changes).toEqual([]);
  });

  it('reader-refused: the changes section says why it could not be read; every other section is there', async () => {
    const result = await run('incident-response', input, { scenario: faultsFor('reader-refused') });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    const report = bundle(result);
    expect(sectionOf(result, 'changes').unavailable).toMatch(
      /^AccessDeniedException: User is not authorized/,
    );
    expect(report.sections.filter((s) => s.unavailable !== null).map((s) => s.section)).toEqual(['changes']);
    expect(report.attention[0]).toMatch(/^changes: the changes section could not be read/);
  });

  it('crash-loop: the bundle shows the tasks exiting; a forced deployment, under the lock, brings three healthy tasks; P0 goes to on-call and leadership', async () => {
    const result = await run('incident-response', force, { scenario: faultsFor('crash-loop') });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
    expect(result.changes[0]?.detail).toBe('a forced new deployment');
    expect(app(result)).toMatchObject({ runningCount: 3, desiredCount: 3, rolloutState: 'COMPLETED' });
    expect(app(result).taskDefinition).toMatch(/prod-app:41$/);
    expect(result.account.locks).toEqual([]);
    expect(notices(result)).toEqual([
      ...P0.map((topic) => ['incident', topic]),
      ...P0.map((topic) => ['incident-recovered', topic]),
      ['succeeded', expect.stringMatching(/:runbook-notifications|Topic/)],
    ]);
    const diagnosis = result.events.find(
      (e) => e.state === 'Report Diagnostics' && e.kind === 'task-succeeded',
    );
    expect(JSON.stringify(diagnosis?.output)).toContain('tasks stopped: Essential container in task exited');
  });

  it('crash-loop-persists: the circuit breaker fails the forced deployment; the lock is released, on-call paged, RecoveryFailed', async () => {
    const result = await run('incident-response', force, { scenario: faultsFor('crash-loop-persists') });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RecoveryFailed' });
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
    expect(app(result).rolloutState).toBe('FAILED');
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([
      ...P0.map(() => ['incident', 'page']),
      ...P0.map(() => ['incident-not-recovered', 'page']),
      ['recovery-failed', 'page'],
    ]);
    expect(result.cause).toMatch(/did not recover it; the service needs a person now/);
    expect(result.cause).toMatch(/nothing to put back/);
  });

  it('deployment-under-way: refuses to force over a deployment in progress, releases the lock, changes nothing', async () => {
    const result = await run('incident-response', force, { scenario: faultsFor('deployment-under-way') });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    // The other deployment is someone else's (made by the account itself); this run made none
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
    expect(result.cause).toMatch(/a deployment of app-service is under way/);
  });

  it('lock-held: another run holds the service; nothing is forced, the holder keeps its lock', async () => {
    const result = await run('incident-response', force, { scenario: faultsFor('lock-held') });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(changes(result)).toEqual([]);
    expect(result.account.locks.map((l) => l.owner)).toContainEqual(expect.stringMatching(/hotfix-2291$/));
    expect(result.account.locks.map((l) => l.owner).join()).not.toMatch(/incident-response/);
    // The P0 audience hears that nothing was done, as well as the bundle
    expect(notices(result)).toEqual([
      ...P0.map((topic) => ['incident', topic]),
      ...P0.map((topic) => ['incident-refused', topic]),
      ['failed', expect.any(String)],
    ]);
  });

  it('scale-up: scale-service runs nested, under its own lock, and the app ends at six healthy tasks', async () => {
    const result = await run('incident-response', scaleUp, { scenario: faultsFor('scale-up') });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
    expect(app(result)).toMatchObject({ desiredCount: 6, runningCount: 6, rolloutState: 'COMPLETED' });
    expect(result.account.locks).toEqual([]);
    const started = result.events.find((e) => e.state === 'Scale Up' && e.kind === 'scheduled');
    expect(started?.input).toMatchObject({
      Input: {
        environment: 'prod',
        service: 'app',
        desiredCount: 6,
        changeRequest: 'INC-2041',
        requestedBy: 'jane@company.com',
        reason: 'P1 INC-2041: scale-up asked by incident-response',
      },
    });
    expect(
      bundle({
        ...result,
        output: result.events.find((e) => e.state === 'Report Diagnostics' && e.kind === 'task-succeeded')
          ?.output,
      } as Result).attention,
    ).toEqual([
      expect.stringMatching(/^traffic: the service's CPU is at 9\d % on average in the last 15 minutes$/),
    ]);
  });

  it('scale-up-no-room: scale-service puts the count back; the run fails ScalingFailed, the app at 3 tasks', async () => {
    const result = await run('incident-response', scaleUp, { scenario: faultsFor('scale-up-no-room') });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'ScalingFailed' });
    expect(result.changes.map((c) => c.detail)).toEqual(['desiredCount 6', 'desiredCount 3']);
    expect(app(result).desiredCount).toBe(3);
    expect(result.cause).toMatch(
      /^The scale-service run arn:aws:states:.*:execution:runbook-scale-service:\S+ ended ScalingFailed/,
    );
    expect(result.account.notifications.map((n) => n.event)).toContain('incident-not-recovered');
  });

  it('scale-up-restore-fails: RollbackFailed, paged by scale-service, and announced where the P1 goes', async () => {
    const result = await run('incident-response', scaleUp, { scenario: faultsFor('scale-up-restore-fails') });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([
      ['incident', 'page'],
      ['rollback-failed', 'page'],
      ['incident-not-recovered', 'page'],
    ]);
  });

  it('not-a-scale-up: scale-service refuses it against the count it reads, before any change; announced as refused', async () => {
    const result = await run('incident-response', { ...scaleUp, desiredCount: 3 });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    const started = result.events.find((e) => e.state === 'Scale Up' && e.kind === 'scheduled');
    expect(started?.input).toMatchObject({ Input: { upOnly: true, desiredCount: 3 } });
    expect(result.changes).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual([
      'incident',
      'failed',
      'incident-refused',
      'failed',
    ]);
    expect(result.cause).toMatch(
      /already wants 3 tasks: a scale-up to 3 would not add any; nothing was changed/,
    );
  });

  it('without routes in the config, the incident goes to the runbook topic at the severity the runbook gives it', async () => {
    const { incidents: _, ...prod } = config.environments.prod ?? ({} as never);
    const bare = { ...config, environments: { ...config.environments, prod } };
    const result = await run('incident-response', { ...input, severity: 'P2' }, { config: bare });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([['incident', 'warning']]);
    expect(result.account.notifications[0]?.topicArn).not.toMatch(/platform-team-chat/);
  });

  it('a notice that cannot be sent does not hold up the action: the forced deployment still runs', async () => {
    const result = await run('incident-response', force, {
      faults: {
        ...scenarioFaults('incident-crash-loop'),
        outage: {
          calls: /^sns:Publish$/,
          only: (i) => String(i.TopicArn).includes('oncall-pager'),
          error: 'AuthorizationError',
          message: 'not allowed',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
  });

  it('a bundle that reaches nobody, not even the runbook topic, fails a diagnostics run', async () => {
    const result = await run('incident-response', input, {
      faults: { outage: { calls: /^sns:Publish$/, error: 'InternalError', message: 'SNS is down' } },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'InternalError' });
    expect(result.events.some((e) => e.state === 'Record Unheard Incident')).toBe(true);
  });

  it('a P0 topic that refuses does not silence the others: the runbook topic is paged naming it', async () => {
    const result = await run('incident-response', input, {
      faults: {
        outage: {
          calls: /^sns:Publish$/,
          only: (i) => String(i.TopicArn).endsWith(':oncall-pager'),
          error: 'AuthorizationErrorException',
          message: 'not allowed',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(
      result.account.notifications.map((n) => [
        n.topicArn.split(':').pop(),
        n.severity,
        n.subject.slice(0, 16),
      ]),
    ).toEqual([[expect.stringMatching(/Topic|notifications/), 'page', '[NOT DELIVERED] ']]);
  });

  it('the not-recovered notice refused everywhere: the page still goes out, and the run ends RecoveryFailed', async () => {
    const result = await run('incident-response', force, {
      faults: {
        ...scenarioFaults('incident-crash-loop-persists'),
        outage: {
          calls: /^sns:Publish$/,
          only: (i) => String(i.Subject).includes('did not recover'),
          error: 'InternalError',
          message: 'down',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RecoveryFailed' });
    expect(result.account.notifications.map((n) => n.event)).toContain('recovery-failed');
    expect(result.account.locks).toEqual([]);
  });

  it('a bundle that cannot be made fails the run, announced on the runbook topic', async () => {
    const result = await run('incident-response', input, {
      faults: { workerDies: { worker: 'report-diagnostics', error: 'Runtime.OutOfMemory', times: 10 } },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'Runtime.OutOfMemory' });
    expect(result.account.notifications.map((n) => n.event)).toEqual(['failed']);
  });

  it('a scale-service run that cannot be started is announced as not recovered, and fails with its error', async () => {
    const result = await run('incident-response', scaleUp, {
      faults: { ...scenarioFaults('cpu-breach'), throttledNestedStarts: 100 },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'StepFunctions.ThrottlingException' });
    expect(result.events.some((e) => e.state === 'Record Scale Not Started')).toBe(true);
    expect(result.account.notifications.map((n) => n.event)).toEqual([
      'incident',
      'incident-not-recovered',
      'failed',
    ]);
    expect(result.changes).toEqual([]);
  });
});
