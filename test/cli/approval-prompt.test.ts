// The rehearsal's approval prompt: whole words only, a reason for a rejection, Ctrl-D as nobody
// deciding, Ctrl-C as stopping without a decision, and the request shown harmlessly.
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../rehearsal/engine.ts';
import { askDecision, Interrupted, type Terminal } from '../../scripts/approval-prompt.ts';

const request: ApprovalRequest = {
  approvalId: 'a1b2c3',
  expiresAt: '2026-12-01T10:00:00.000Z',
  procedure: 'production-deployment',
  environment: 'prod',
  target: 'app',
  change: 'image repo/app@sha256:…',
  from: 'prod-app:41',
  changeRequest: 'CHG-1',
  reason: 'release',
  requestedBy: 'dana@company.com',
  snapshot: 'pre-deploy-app-1',
  summaryHash: 'f'.repeat(64),
  rule: {
    approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_*/*'],
    required: 2,
    neverApprovers: [],
  },
};

/** A terminal that gives these answers in turn and keeps what was written and asked. */
function scripted(...answers: (string | 'closed' | 'interrupted')[]) {
  const screen: string[] = [];
  const terminal: Terminal = {
    ask: async (question) => {
      screen.push(question);
      return answers.shift() ?? 'closed';
    },
    write: (text) => {
      screen.push(text);
    },
  };
  return { terminal, screen };
}

describe('askDecision', () => {
  it('acts on whole words only: "abort" or "a" decides nothing, and the choices are said again', async () => {
    // Given answers that only start like a choice, then a real one
    const { terminal, screen } = scripted('abort', 'a', 'approve', 'erin@company.com');
    // When / Then the decision is the whole word, after two refusals naming the choices, by the person named
    await expect(askDecision(request, terminal)).resolves.toEqual({
      attempts: [{ as: { person: 'erin@company.com' }, decision: 'approve' }],
    });
    expect(
      screen.filter((l) => l.includes('is not a choice: answer approve, reject or expire')),
    ).toHaveLength(2);
  });

  it('asks a reason for a rejection, and again while none is given', async () => {
    // Given a rejection, an empty reason, then a reason
    const { terminal, screen } = scripted(' Reject ', 'erin', '', 'the build is red');
    // When / Then
    await expect(askDecision(request, terminal)).resolves.toEqual({
      attempts: [{ as: { person: 'erin' }, decision: 'reject', comment: 'the build is red' }],
    });
    expect(screen).toContain('  A rejection needs a reason.\n');
  });

  it('asks who decides until the answer is one user name', async () => {
    // Given a name with a space, one with a control character, then a user name
    const { terminal, screen } = scripted('approve', 'erin smith', 'erin\u001b[2J', 'erin');
    // When / Then
    await expect(askDecision(request, terminal)).resolves.toEqual({
      attempts: [{ as: { person: 'erin' }, decision: 'approve' }],
    });
    expect(screen.filter((l) => l.includes('is not a user name'))).toHaveLength(2);
    expect(screen.join('')).toContain("'erin\\x1b[2J' is not a user name");
  });

  it('shows the whole summary: from what, the backup, the ticket, the reason, and who must approve', async () => {
    const { terminal, screen } = scripted('expire');
    await askDecision(request, terminal);
    const shown = screen.join('');
    expect(shown).toContain('image repo/app@sha256:… (now prod-app:41)');
    expect(shown).toContain('backup before the change: pre-deploy-app-1');
    expect(shown).toContain('requested by dana@company.com; change request CHG-1; reason: release');
    expect(shown).toContain(
      `needs 2 approvals from ${request.rule.approvers[0]}; expires 2026-12-01T10:00:00.000Z`,
    );
  });

  it('takes expire, and a closed stdin (at either question) as nobody deciding', async () => {
    await expect(askDecision(request, scripted('expire').terminal)).resolves.toBe('expire');
    await expect(askDecision(request, scripted('closed').terminal)).resolves.toBe('expire');
    await expect(askDecision(request, scripted('reject', 'closed').terminal)).resolves.toBe('expire');
    await expect(askDecision(request, scripted('reject', 'erin', 'closed').terminal)).resolves.toBe('expire');
  });

  it('stops on Ctrl-C without deciding anything', async () => {
    // Given Ctrl-C at the prompt / When / Then it is an interruption, not a decision
    await expect(askDecision(request, scripted('interrupted').terminal)).rejects.toThrow(Interrupted);
    await expect(askDecision(request, scripted('reject', 'interrupted').terminal)).rejects.toThrow(
      'nothing was decided',
    );
  });

  it('shows text from input harmlessly: an ESC sequence in requestedBy is printed, not obeyed', async () => {
    // Given a requester whose name would clear the screen and rewrite the prompt
    const hostile = { ...request, requestedBy: 'mallory\u001b[2J\u001b[H  Approved by security\r\n' };
    const { terminal, screen } = scripted('expire');
    // When the prompt shows the request
    await askDecision(hostile, terminal);
    // Then no control character reaches the terminal: they are shown as escapes
    const shown = screen.join('');
    expect(shown).toContain('mallory\\x1b[2J\\x1b[H  Approved by security\\r\\n');
    expect([...shown.replace(/\n/g, '')].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });
});
