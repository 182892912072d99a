// The audit report from recorded histories of each rehearsal outcome (written as a run record file
// and read back, as the archive keeps it): the right requester, approvers, changes, durations and
// nested rollback; and the Markdown and HTML renderings, which show hostile text harmlessly.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphOf } from '../../scripts/audit/graph.ts';
import { htmlReport } from '../../scripts/audit/html.ts';
import { markdownReport } from '../../scripts/audit/markdown.ts';
import type { AuditReport, RunRecord } from '../../tasks/audit/report.ts';
import { parseRunFile } from '../../tasks/audit/run-record.ts';
import { BASELINE, example, RELEASE } from '../statemachines/support.ts';
import { dir, recorded } from './audit-support.ts';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = {
  ...example('production-deployment'),
  requestedBy: 'mallory\u001b[2J | <script>alert(1)</script> [x](http://evil)',
  reason: 'line one\nline two | `code` **bold**',
};

describe('the audit report of a rehearsed run', () => {
  const runs: Record<string, Awaited<ReturnType<typeof recorded>>> = {};
  beforeAll(async () => {
    for (const name of [
      'happy',
      'crash-loop',
      'approval-rejected',
      'approval-expired',
      'invalid-input',
      'rollback-fails',
      'requester-approves',
    ])
      runs[name] = await recorded(name);
    runs.hostile = await recorded('happy', HOSTILE);
  });
  const of = (name: string) => (runs[name] as { report: AuditReport }).report;

  it('says who asked, why, who started it, who approved, and that the approver is someone else', () => {
    const r = of('happy');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.started).toMatchObject({
      requestedBy: 'dana@company.com',
      via: 'rehearsal',
      changeRequest: 'CHG-1042',
      reason: example('production-deployment').reason,
    });
    expect(r.started.startedBy).toMatch(/assumed-role\/.*\/dana@company.com$/);
    expect(r.approvals).toHaveLength(1);
    expect(r.approvals[0]).toMatchObject({
      gate: 'Wait For Approval',
      decision: 'approved',
      independent: true,
      approvers: [expect.objectContaining({ person: 'approver-1' })],
      refused: [],
    });
    expect(r.approvals[0]?.summaryHash).toMatch(/^[0-9a-f]{64}$/);
    // The approval came before the change
    const decided = Date.parse(String(r.approvals[0]?.decidedAt));
    const deployed = r.changes.find((c) => c.kind === 'service');
    expect(decided).toBeLessThan(Date.parse(String(deployed?.at)));
    expect(r.definition.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.definition.comment).toMatch(/\(runbook-as-code \d+\.\d+\.\d+\)$/);
  });

  it('lists what changed, before and after, with identifiers a person can follow', () => {
    const changes = of('happy').changes.map((c) => [c.kind, c.before, c.after]);
    expect(changes).toEqual([
      ['lock', null, expect.stringContaining(':execution:runbook-production-deployment:')],
      ['snapshot', null, expect.stringMatching(/^pre-deploy-app-/)],
      ['task-definition', BASELINE, RELEASE],
      ['service', `${BASELINE} × 3`, `${RELEASE} × 3`],
      ['known-good', BASELINE, RELEASE],
      ['lock', null, null],
    ]);
  });

  it('folds each poll loop into one line: how often, how long, the first and the last answer', () => {
    const r = of('happy');
    const rollout = r.steps.find((s) => s.kind === 'loop' && s.state === 'Check Rollout');
    expect(rollout).toMatchObject({ kind: 'loop', first: { done: false }, last: { done: true } });
    const polls = r.transitions.find(
      (t) => t.from === 'Rollout Complete?' && t.to === 'Wait Before Next Rollout Check',
    );
    expect(rollout?.kind === 'loop' && rollout.polls).toBe((polls?.count ?? 0) + 1);
    expect(rollout?.kind === 'loop' && rollout.seconds).toBeGreaterThan(0);
    // No state of a loop is listed again on its own
    expect(r.steps.filter((s) => s.state === 'Check Rollout')).toHaveLength(1);
    expect(r.steps.some((s) => s.state === 'Wait Before Next Rollout Check')).toBe(false);
    // Steps are in order, each with its time
    const starts = r.steps.map((s) => Date.parse(s.kind === 'loop' ? s.firstAt : s.enteredAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('tells a rollback: why it started, its own steps, the service restored, how long it was degraded', () => {
    const r = of('crash-loop');
    expect([r.status, r.outcome.error]).toEqual(['FAILED', 'DeploymentRolledBack']);
    expect(r.steps.find((s) => s.state === 'Check Rollout')).toMatchObject({
      caught: { error: 'DeploymentFailed' },
    });
    expect(r.nested).toHaveLength(1);
    const [rollback] = r.nested;
    expect(rollback?.why?.error).toBe('DeploymentFailed');
    expect(rollback?.report).toMatchObject({
      procedure: 'rollback',
      status: 'SUCCEEDED',
      started: { via: 'nested' },
    });
    expect(
      rollback?.report?.changes.filter((c) => c.kind === 'service').map((c) => [c.before, c.after]),
    ).toEqual([[`${RELEASE} × 3`, `${BASELINE} × 3`]]);
    expect(rollback?.degradedSeconds).toBeGreaterThan(0);
    expect(rollback?.degradedSeconds).toBeLessThan(r.seconds ?? 0);
  });

  it('tells a rollback that failed: both runs failed, and no degraded time is claimed to have ended', () => {
    const r = of('rollback-fails');
    expect([r.status, r.outcome.error]).toEqual(['FAILED', 'RollbackFailed']);
    expect(r.nested[0]?.report?.status).toBe('FAILED');
    expect(r.nested[0]?.degradedSeconds).toBeNull();
  });

  it('records a rejection and an expiry with their words, and that nothing changed but the lock', () => {
    const rejected = of('approval-rejected');
    expect(rejected.approvals[0]).toMatchObject({
      decision: 'rejected',
      reason: expect.stringContaining('Rejected by'),
    });
    expect(rejected.outcome.error).toBe('ApprovalRejected');
    expect(rejected.changes.map((c) => c.kind)).toEqual(['lock', 'lock']);
    const expired = of('approval-expired');
    expect(expired.approvals[0]?.decision).toBe('expired');
    expect(expired.changes.map((c) => c.kind)).toEqual(['lock', 'lock']);
  });

  it('records invalid input as refused at the first step, nothing changed, no approval asked', () => {
    const r = of('invalid-input');
    expect([r.status, r.outcome.error]).toEqual(['FAILED', 'InvalidInput']);
    expect(r.changes).toEqual([]);
    expect(r.approvals).toEqual([]);
  });

  it('keeps the refused attempt of a requester approving their own change', () => {
    const approval = of('requester-approves').approvals[0];
    expect(approval?.decision).toBe('approved');
    expect(approval?.refused).toEqual([
      expect.objectContaining({ arn: expect.stringContaining('dana@company.com'), code: expect.any(String) }),
    ]);
    expect(markdownReport(of('requester-approves'))).toContain('refused before');
  });

  it('shows hostile input harmlessly in Markdown: no control character, no forged cell, link or tag', () => {
    const whole = markdownReport(of('hostile'));
    // (The input is shown last, in a fenced code block, where Markdown renders no tag or link.)
    const [text = '', input = ''] = whole.split('## Input');
    expect(input).toMatch(/^\s*```json\n[\s\S]*\n```\s*$/);
    expect(input.match(/```/g)).toHaveLength(2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the escape character.
    expect(text).not.toMatch(/\u001b/);
    // (the escape shown as \x1b, its backslash escaped for Markdown)
    expect(text).toContain('mallory\\\\x1b');
    const row = text.split('\n').find((l) => l.startsWith('| Requested by'));
    expect(row?.match(/(?<!\\)\|/g)).toHaveLength(3);
    expect(text).not.toMatch(/(?<!\\)<script/);
    expect(text).not.toMatch(/(?<!\\)\]\(http/);
    expect(text).toContain('line one\\\\nline two');
  });

  it('shows hostile input harmlessly in HTML, and fetches nothing from anywhere', () => {
    const { report, records } = runs.hostile as { report: AuditReport; records: RunRecord[] };
    const page = htmlReport(report, records, graphOf);
    expect(page).not.toContain('<script');
    expect(page).toContain('&lt;script&gt;');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the escape character.
    expect(page).not.toMatch(/\u001b/);
    expect(page).not.toMatch(/\b(src|href)=|url\(http|@import/);
    expect(page).toContain("default-src 'none'");
  });

  it('reads back the file the rehearsal wrote, and refuses one that is not a run record', () => {
    const { file } = runs.happy as { file: string };
    expect(parseRunFile(readFileSync(file, 'utf8'), file)[0]?.history[0]?.timestamp).toBeInstanceOf(Date);
    expect(() => parseRunFile('{"format":"other"}', 'x.json')).toThrow(/x.json: not a run record/);
    expect(() => parseRunFile('{', 'y.json')).toThrow(/y.json: not JSON/);
    expect(() => parseRunFile('{"format":"runbook-run/1","executions":[{}]}', 'z.json')).toThrow(
      /executions\[0\] needs executionArn and history/,
    );
  });
});
