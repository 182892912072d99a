// The abandoned-run rule in the rehearsal, as on AWS: a run that times out runs no Catch, so the
// rule's worker releases the lock it still holds and pages.
import { describe, expect, it } from 'vitest';
import { changes, definitionsOnce, example, run } from './support.ts';

describe('an abandoned run in the rehearsal', () => {
  it('timed out while holding its lock: the lock is released and the on-call paged, nothing else', async () => {
    // Given the deployment's machine with a ten-minute timeout (the approval takes twenty)
    const definitions = definitionsOnce();
    const machine = definitions.machines['production-deployment'];
    if (!machine) throw new Error('no machine');
    const short = {
      ...definitions,
      machines: {
        ...definitions.machines,
        'production-deployment': { ...machine, asl: { ...machine.asl, TimeoutSeconds: 600 } },
      },
    };

    // When
    const result = await run('production-deployment', example('production-deployment'), {
      definitions: short,
    });

    // Then
    expect(result.status).toBe('TIMED_OUT');
    expect(result.account.locks).toEqual([]);
    expect(result.events.find((e) => e.kind === 'abandoned')?.detail).toBe(
      'TIMED_OUT: the on-call was paged, and its lock on ecs:enterprise-prod-cluster/app-service released',
    );
    expect(result.account.notifications.at(-1)).toMatchObject({ severity: 'page', event: 'timed-out' });
    expect(changes(result)).toEqual([]);
  });

  it('stays quiet about a failed run that released its own lock', async () => {
    const result = await run('production-deployment', example('production-deployment'), {
      approver: 'reject',
    });
    expect(result.status).toBe('FAILED');
    expect(result.events.some((e) => e.kind === 'abandoned')).toBe(false);
    expect(result.account.notifications.map((n) => n.severity)).not.toContain('page');
  });
});
