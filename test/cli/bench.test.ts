// `npm run bench` on one scenario: its figures are the rehearsal's own record read again (the
// timeline, the simulated account's moments), and the baselines behave as the usual ways do.
import { describe, expect, it } from 'vitest';
import { bench } from '../../scripts/bench.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { definitionsOnce, example, run } from '../statemachines/support.ts';

describe('the bench', () => {
  it('reads crash-loop’s figures from the rehearsal’s own record, and the waiters give up while ECS fails the rollout', async () => {
    // Given the bench of one scenario, and the same scenario rehearsed here
    const { rows, worstHistory } = await bench({
      procedure: 'production-deployment',
      scenario: 'crash-loop',
    });
    const rehearsed = await run('production-deployment', example('production-deployment'), {
      scenario: 'crash-loop',
    });
    const [row] = rows;
    if (!row) throw new Error('no row');

    // Then the counts are the timeline's
    const states = rehearsed.events.filter((e) => e.kind === 'entered' || e.kind === 'retried');
    expect(row.ours.transitions).toBe(states.length);
    expect(row.ours.status).toBe(rehearsed.status);
    const lambdas = states.filter((e) => {
      const machine = e.depth === 0 ? 'production-deployment' : 'rollback';
      const resource = definitionsOnce().machines[machine]?.asl.States[e.state ?? '']?.Resource ?? '';
      // A worker's function by its ARN, or the approval gate through lambda:invoke.waitForTaskToken
      return resource in definitionsOnce().functions || resource.includes(':lambda:invoke');
    });
    expect(row.ours.lambdaInvocations).toBe(lambdas.length);
    expect(row.ours.awsCalls).toBe(rehearsed.workerCalls);

    // and the moment of truth is the account's: the breaker's threshold of failed tasks, after the update
    const update = rehearsed.changes.find((c) => c.action === 'UpdateService');
    const failing = rehearsed.moments.find((m) => m.kind === 'tasks-failing' && m.at >= (update?.at ?? 0));
    expect(row.ours.detection).toMatchObject({ truth: 'tasks-failing', at: failing?.at });
    const caught = rehearsed.events.find(
      (e) => e.depth === 0 && e.kind === 'caught' && e.at >= (failing?.at ?? 0),
    );
    expect(row.ours.detection?.lagSeconds).toBe((caught?.at ?? 0) - (failing?.at ?? 0));
    expect(row.ours.detection?.lagSeconds).toBeLessThanOrEqual(15);
    // (the rollback path begins with handing the lock over to the rollback)
    const rollBack = rehearsed.events.find(
      (e) => e.depth === 0 && e.kind === 'entered' && e.state === 'Hand Over Lock',
    );
    expect(row.ours.detection?.rollbackStartedAfterSeconds).toBe((rollBack?.at ?? 0) - (failing?.at ?? 0));

    // and the waiters never see one deployment again (ECS keeps the old one): they give up; the
    // breaker fails the rollout the moment its threshold is reached
    expect(row.baselines?.sdkWaiter).toMatchObject({
      reported: 'timeout',
      lagSeconds: null,
      falseSuccess: false,
    });
    expect(row.baselines?.cliWaiter).toMatchObject({ reported: 'timeout', at: 585 });
    expect(row.baselines?.circuitBreaker).toMatchObject({ reported: 'failure', lagSeconds: 0 });
    expect(Object.keys(worstHistory).sort()).toEqual(PROCEDURES.map((p) => p.name).sort());
  });

  it('counts the waiters’ false success where ECS rolled back on its own, and none of ours', async () => {
    // When
    const { rows } = await bench({ procedure: 'production-deployment', scenario: 'ecs-auto-rollback' });
    // Then
    expect(rows[0]?.ours.status).toBe('FAILED');
    expect(rows[0]?.baselines?.sdkWaiter).toMatchObject({ reported: 'success', falseSuccess: true });
    expect(rows[0]?.baselines?.cliWaiter).toMatchObject({ reported: 'success', falseSuccess: true });
    expect(rows[0]?.baselines?.circuitBreaker.healthyAgainAfterSeconds).toBeGreaterThan(0);
  });
});
