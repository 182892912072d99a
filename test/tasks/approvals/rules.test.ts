import { describe, expect, it } from 'vitest';
import { type Identity, identityOf } from '../../../tasks/approvals/identity.ts';
import { type ApprovalRequest, summaryHashOf } from '../../../tasks/approvals/request.ts';
import {
  approvedOutput,
  decide,
  REFUSALS,
  rejectedFailure,
  standing,
  type Verdict,
} from '../../../tasks/approvals/rules.ts';

const who = (arn: string): Identity => {
  const identity = identityOf(arn);
  if (!identity) throw new Error(arn);
  return identity;
};
const sso = (person: string) =>
  who(`arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/${person}`);
const bob = sso('bob');
const carol = sso('carol');
const ci = who('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/github-ci');

const hashed = {
  approvalId: 'a1b2c3d4e5f6a7b8c9d0',
  summary: {
    procedure: 'production-deployment',
    environment: 'prod',
    target: 'app',
    change: 'image app@sha256:abc',
    from: 'app:41',
    changeRequest: 'CHG-1',
    reason: 'release',
    requestedBy: 'Alice',
    snapshot: null,
  },
  rule: {
    approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/*'],
    required: 1,
    neverApprovers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/github-ci'],
  },
  expiresAt: '2026-11-30T09:00:00.000Z',
};
const request: ApprovalRequest = {
  ...hashed,
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1',
  gate: 'Wait For Approval',
  runStartedAt: '2026-11-30T07:58:00.000Z',
  status: 'pending',
  summaryHash: summaryHashOf(hashed),
  requestedAt: '2026-11-30T08:00:00.000Z',
  decisions: [],
  refusals: [],
  reminders: { remindAt: null, pageAt: null, reminded: false, paged: false },
  startedBy: 'arn:aws:sts::123456789012:assumed-role/github-actions-deploy/run-42',
  delivery: null,
  version: 4,
};
const now = '2026-11-30T08:10:00.000Z';
const approve = (caller: Identity, over: Partial<Parameters<typeof decide>[1]> = {}) => ({
  caller,
  decision: 'approve' as const,
  summaryHash: request.summaryHash,
  comment: null,
  now,
  ...over,
});

/** The request a recorded verdict writes (a refused one writes none). */
const recorded = (verdict: Verdict) => {
  if (verdict.kind !== 'recorded') throw new Error(`refused: ${verdict.code}`);
  return verdict.request;
};

describe('approval rules', () => {
  it('approves with one approver where one is required, recording the verified identity and the comment', () => {
    const verdict = decide(request, approve(bob, { comment: '  looks good ' }));
    expect(verdict).toEqual({
      kind: 'recorded',
      remaining: 0,
      request: {
        ...request,
        status: 'approved',
        version: 5,
        decisions: [{ decision: 'approve', arn: bob.arn, person: 'bob', at: now, comment: 'looks good' }],
      },
    });
  });

  it('needs M distinct approvers of N: the first approval leaves the request pending', () => {
    const twoOf = { ...request, rule: { ...request.rule, required: 2 } };
    const first = decide(twoOf, approve(bob));
    expect(first).toMatchObject({ kind: 'recorded', remaining: 1, request: { status: 'pending' } });
    const second = decide(recorded(first), approve(carol));
    expect(second).toMatchObject({ kind: 'recorded', remaining: 0, request: { status: 'approved' } });
    expect(approvedOutput(recorded(second))).toEqual({
      decision: 'approved',
      approvalId: request.approvalId,
      approver: 'carol',
      approvers: [
        { arn: bob.arn, person: 'bob', at: now, comment: null },
        { arn: carol.arn, person: 'carol', at: now, comment: null },
      ],
      decidedAt: now,
      summaryHash: request.summaryHash,
      requestedAt: request.requestedAt,
      startedBy: request.startedBy,
      refused: [],
    });
  });

  it('carries the attempts refused before into the history (who, when, which rule), not their messages', () => {
    const refusal = { arn: bob.arn, at: now, code: 'SelfApproval', message: 'a long explanation' };
    const approved = recorded(decide({ ...request, refusals: [refusal] }, approve(carol)));
    expect(approvedOutput(approved).refused).toEqual([{ arn: bob.arn, at: now, code: 'SelfApproval' }]);
    const rejected = recorded(
      decide(
        { ...request, refusals: [refusal] },
        { ...approve(carol), decision: 'reject', comment: 'not now' },
      ),
    );
    expect(rejectedFailure(rejected).cause).toContain('1 attempt(s) refused before');
    expect(rejectedFailure({ ...rejected, refusals: [] }).cause).not.toContain('refused before');
  });

  it('ends the wait at once on a rejection, whatever approvals came before', () => {
    const twoOf = { ...request, rule: { ...request.rule, required: 2 } };
    const first = decide(twoOf, approve(bob));
    const rejected = decide(recorded(first), {
      ...approve(carol),
      decision: 'reject',
      comment: 'not during the sale',
    });
    expect(rejected).toMatchObject({ kind: 'recorded', remaining: 0, request: { status: 'rejected' } });
    expect(rejectedFailure(recorded(rejected))).toEqual({
      error: 'ApprovalRejected',
      cause: `Rejected by carol (${carol.arn}) at ${now}: not during the sale; nothing was changed (approval ${request.approvalId}).`,
    });
  });

  it.each([
    [
      'the requester, in another case',
      sso('alice'),
      {},
      'OwnRequest',
      'alice requested this change and may not decide it',
    ],
    [
      'a CI principal an approver pattern also names',
      ci,
      {},
      'NotAnApprover',
      `${ci.arn} may not decide approval`,
    ],
    [
      'someone no approver pattern names',
      who('arn:aws:sts::123456789012:assumed-role/Developer/dave'),
      {},
      'NotAnApprover',
      'may not decide',
    ],
    [
      'an approver who saw another summary',
      bob,
      { summaryHash: 'f'.repeat(64) },
      'SummaryChanged',
      'is not what was shown (summary hash ffffffffffff…)',
    ],
    [
      'a rejection without a reason',
      bob,
      { decision: 'reject', comment: '  ' },
      'ReasonRequired',
      'a rejection needs a reason',
    ],
    [
      'a decision at the moment of expiry',
      bob,
      { now: hashed.expiresAt },
      'RequestExpired',
      `expired at ${hashed.expiresAt}`,
    ],
  ] as const)(
    'refuses %s, recording the attempt and changing nothing else',
    (_what, caller, over, code, message) => {
      // The refusal to append (store.ts appends it whatever the version): the request is not rewritten.
      expect(decide(request, approve(caller, over))).toEqual({
        kind: 'refused',
        code,
        message: expect.stringContaining(message),
        refusal: {
          arn: caller.arn,
          at: 'now' in over ? over.now : now,
          code,
          message: expect.stringContaining(message),
        },
      });
    },
  );

  it('refuses a second decision by the same person, even from another role', () => {
    const first = decide({ ...request, rule: { ...request.rule, required: 2 } }, approve(bob));
    const again = decide(recorded(first), approve(who('arn:aws:iam::123456789012:user/bob')));
    const twice = decide(recorded(first), approve(bob));
    expect(twice).toMatchObject({
      kind: 'refused',
      code: 'AlreadyDecided',
      message: `bob has already decided approval ${request.approvalId}`,
    });
    // The IAM user bob is no approver here: refused before the double decision is looked at.
    expect(again).toMatchObject({ kind: 'refused', code: 'NotAnApprover' });
    const userToo = {
      ...recorded(first),
      rule: {
        ...recorded(first).rule,
        approvers: [...request.rule.approvers, 'arn:aws:iam::123456789012:user/*'],
      },
    };
    expect(decide(userToo, approve(who('arn:aws:iam::123456789012:user/BOB')))).toMatchObject({
      code: 'AlreadyDecided',
    });
  });

  it('refuses any decision on a closed request', () => {
    for (const status of ['approved', 'rejected', 'expired'] as const) {
      expect(decide({ ...request, status }, approve(carol))).toMatchObject({
        kind: 'refused',
        code: 'RequestClosed',
        message: `approval ${request.approvalId} is already ${status}`,
      });
    }
  });

  it('tells who may decide a request now, without deciding', () => {
    expect(standing(request, bob, now)).toBeNull();
    expect(standing(request, sso('alice'), now)).toMatchObject({ code: 'OwnRequest' });
    expect(
      standing({ ...request, summary: { ...request.summary, requestedBy: null } }, sso('alice'), now),
    ).toBeNull();
    expect(standing(request, bob, '2026-11-30T08:59:59.999Z')).toBeNull();
  });

  it('gives every refusal its own exit code', () => {
    const exits = Object.values(REFUSALS).map((r) => r.exit);
    expect(new Set(exits).size).toBe(exits.length);
    for (const exit of exits) expect(exit).toBeGreaterThan(3);
  });

  it('hashes the same content the same way whatever the order of its keys, at every level', () => {
    // Given the same summary and rule, every object's keys in reverse order
    const reverse = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const shuffled = { ...reverse(hashed), summary: reverse(hashed.summary), rule: reverse(hashed.rule) };
    // When / Then the hash is the same, and a 64-hex-digit SHA-256
    expect(summaryHashOf(shuffled)).toBe(summaryHashOf(hashed));
    expect(summaryHashOf(hashed)).toMatch(/^[0-9a-f]{64}$/);
    // And arrays keep their order: the approvers are not sorted into another rule
    const two = { ...hashed, rule: { ...hashed.rule, approvers: ['b', 'a'] } };
    expect(summaryHashOf(two)).not.toBe(
      summaryHashOf({ ...two, rule: { ...two.rule, approvers: ['a', 'b'] } }),
    );
  });

  it('hashes what is approved, and nothing else, the same way every time', () => {
    const reordered = {
      expiresAt: hashed.expiresAt,
      rule: hashed.rule,
      summary: { ...hashed.summary },
      approvalId: hashed.approvalId,
    };
    expect(summaryHashOf(reordered)).toBe(request.summaryHash);
    for (const changed of [
      { ...hashed, summary: { ...hashed.summary, change: 'image app@sha256:def' } },
      { ...hashed, rule: { ...hashed.rule, required: 2 } },
      { ...hashed, expiresAt: '2026-11-30T10:00:00.000Z' },
      { ...hashed, approvalId: 'other' },
    ])
      expect(summaryHashOf(changed)).not.toBe(request.summaryHash);
  });

  it('gives a role that is not a person one vote, whatever session names its callers choose', () => {
    // Given a pattern that admits any session of a shared role, and two approvals required
    const shared = {
      ...request,
      rule: {
        ...request.rule,
        approvers: ['arn:aws:sts::123456789012:assumed-role/ProdApprover/*'],
        required: 2,
      },
    };
    const as = (session: string) => who(`arn:aws:sts::123456789012:assumed-role/ProdApprover/${session}`);
    const first = decide(shared, approve(as('bob')));
    expect(first).toMatchObject({ kind: 'recorded', remaining: 1 });
    // When the same role approves again under another session name / Then it is the same voter
    expect(decide(recorded(first), approve(as('bob-2')))).toMatchObject({
      kind: 'refused',
      code: 'AlreadyDecided',
    });
    // And another role is another voter
    const other = {
      ...recorded(first),
      rule: {
        ...shared.rule,
        approvers: [...shared.rule.approvers, 'arn:aws:sts::123456789012:assumed-role/ReleaseManager/*'],
      },
    };
    expect(
      decide(other, approve(who('arn:aws:sts::123456789012:assumed-role/ReleaseManager/bob-3'))),
    ).toMatchObject({
      kind: 'recorded',
      remaining: 0,
    });
  });

  it('names the last of three approvers as the one who completed the approval', () => {
    const threeOf = { ...request, rule: { ...request.rule, required: 3 } };
    const approved = [bob, carol, sso('dana')].reduce(
      (r, caller) => recorded(decide(r, approve(caller, { summaryHash: r.summaryHash }))),
      threeOf,
    );
    expect(approved.status).toBe('approved');
    expect(approvedOutput(approved)).toMatchObject({
      approver: 'dana',
      approvers: [{ person: 'bob' }, { person: 'carol' }, { person: 'dana' }],
    });
  });

  it('words an output and a failure without decisions plainly (a hand-edited table)', () => {
    expect(approvedOutput(request)).toMatchObject({ approver: '', approvers: [], decidedAt: '' });
    expect(rejectedFailure(request).cause).toBe(
      `Rejected by unknown (unknown) at unknown: ; nothing was changed (approval ${request.approvalId}).`,
    );
  });

  it('refuses a CI principal named in another case than its never-approver pattern', () => {
    const shouting = who('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/GitHub-CI');
    expect(decide(request, approve(shouting))).toMatchObject({ kind: 'refused', code: 'NotAnApprover' });
  });

  it('lets a person who is not the starter read and list a request before CloudTrail has the starter', () => {
    expect(standing({ ...request, startedBy: null }, bob, now)).toBeNull();
  });

  describe('who started the run (CloudTrail)', () => {
    const startedBy = (arn: string | null) => ({
      ...request,
      summary: { ...request.summary, requestedBy: null },
      startedBy: arn,
    });

    it('refuses the person who started the run, under any of their IAM Identity Center roles', () => {
      const byBob = startedBy('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_ff00/bob');
      expect(decide(byBob, approve(bob))).toMatchObject({
        code: 'OwnRequest',
        message: expect.stringContaining('bob started this run'),
      });
      expect(decide(byBob, approve(carol))).toMatchObject({ kind: 'recorded' });
    });

    it('refuses the very session that started it, and only it, where the role is not a person’s', () => {
      const ciSession = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/bob';
      expect(decide(startedBy(ciSession), approve(bob))).toMatchObject({ code: 'OwnRequest' });
      // A CI role's session name is whatever the caller chose: it names nobody.
      const pipeline = startedBy('arn:aws:sts::123456789012:assumed-role/github-actions-deploy/bob');
      expect(decide(pipeline, approve(bob))).toMatchObject({ kind: 'recorded' });
      // A shared role's session that started the run may not decide it, though the role may approve.
      const shared = 'arn:aws:sts::123456789012:assumed-role/ReleaseManager/run-7';
      const byShared = {
        ...startedBy(shared),
        rule: { ...request.rule, approvers: ['arn:aws:sts::123456789012:assumed-role/ReleaseManager/*'] },
      };
      expect(decide(byShared, approve(who(shared), { summaryHash: byShared.summaryHash }))).toMatchObject({
        code: 'OwnRequest',
      });
    });

    it('refuses every decision while CloudTrail has not said who started the run', () => {
      expect(decide(startedBy(null), approve(bob))).toMatchObject({
        kind: 'refused',
        code: 'StarterUnknown',
        message: expect.stringContaining('is not in CloudTrail yet'),
      });
      // The requester the input names is refused as such even before.
      expect(decide({ ...request, startedBy: null }, approve(sso('alice')))).toMatchObject({
        code: 'OwnRequest',
      });
    });
  });
});
