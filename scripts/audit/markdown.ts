// The audit report as Markdown, for a ticket or a pull request comment. Every text that came from
// input or from AWS is shown harmlessly: control characters escaped, and Markdown and HTML
// characters neutralised, so a requester's name cannot forge a row, a link or a tag.

import type { AuditReport, Failure, Step } from '../../tasks/audit/report.ts';
import { printable } from '../../tasks/printable.ts';

/** Text made safe for a Markdown table cell or line. */
export function md(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return printable(text).replace(/[\\`*_{}[\]<>#!|~&]/g, (c) => `\\${c}`);
}

/** Text shown as code: backticks cannot end it early. */
const code = (value: unknown) => {
  const text = printable(typeof value === 'string' ? value : JSON.stringify(value ?? null));
  // (In a table a pipe ends the cell even inside a code span, unless escaped.)
  return `\`\` ${text.replace(/`/g, "'").replace(/\|/g, '\\|')} \`\``;
};

/** 3725 -> "1 h 02 min 05 s". */
export function took(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min ${String(rest).padStart(2, '0')} s`;
  if (m > 0) return `${m} min ${String(rest).padStart(2, '0')} s`;
  return `${rest} s`;
}

export const short = (value: unknown, max = 160) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

const failures = (list: readonly Failure[]) =>
  list.length === 0
    ? ''
    : `; errors: ${list.map((f) => md(`${f.error}: ${short(f.cause, 120)}`)).join('; ')}`;

function stepRow(step: Step, index: number): string {
  if (step.kind === 'loop')
    return `| ${index} | ${md(step.state)} | poll loop | ${md(step.firstAt)} | ${took(step.seconds)} | polled ${step.polls} times; first ${md(short(step.first))}; last ${md(short(step.last))}${step.caught ? `; caught ${md(step.caught.error)}` : ''}${failures(step.failures)} |`;
  const notes = [
    step.attempts > 1 ? `${step.attempts} attempts` : '',
    step.caught ? `caught ${md(step.caught.error)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `| ${index} | ${md(step.state)} | ${md(step.type)} | ${md(step.enteredAt)} | ${took(step.seconds)} | ${notes}${failures(step.failures)} |`;
}

export const via = (r: AuditReport) =>
  ({
    ci: `CI (run ${md(r.started.ciRunId)})`,
    cli: 'the runbook CLI',
    console: 'the console or an SDK (a generated name)',
    rehearsal: 'a rehearsal (no AWS)',
    nested: 'the run that started it',
    other: 'a caller that named it',
  })[r.started.via];

export function markdownReport(report: AuditReport, depth = 1): string {
  const h = (n: number) => '#'.repeat(Math.min(6, depth + n));
  const lines: string[] = [];
  lines.push(`${h(0)} ${md(report.procedure)}: ${md(report.name)} · ${report.status}`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| Execution | ${code(report.executionArn)} |`);
  lines.push(`| Requested by | ${md(report.started.requestedBy ?? 'not said')} |`);
  lines.push(
    `| Started by | ${report.started.startedBy ? `${code(report.started.startedBy)} (CloudTrail, as the approval service verified it)` : 'not verified (no approval gate asked CloudTrail)'} |`,
  );
  lines.push(`| How | ${via(report)} |`);
  if (report.started.reason !== null) lines.push(`| Reason | ${md(report.started.reason)} |`);
  if (report.started.changeRequest !== null)
    lines.push(`| Change request | ${md(report.started.changeRequest)} |`);
  lines.push(`| Started | ${md(report.startedAt)} |`);
  lines.push(`| Ended | ${md(report.stoppedAt ?? 'still running')} (${took(report.seconds)}) |`);
  lines.push(
    `| Procedure definition | ${report.definition.sha256 ? `sha256 ${code(report.definition.sha256)}` : 'not known'}${report.definition.comment ? `: ${md(report.definition.comment)}` : ''} |`,
  );
  lines.push(
    `| History | ${report.events} events${report.truncated ? ', some outputs truncated by the 256 KiB limit' : ''} |`,
  );
  lines.push('');

  lines.push(`${h(1)} Outcome`, '');
  lines.push(
    report.outcome.error
      ? `**${report.outcome.status}** with ${code(report.outcome.error)}: ${md(report.outcome.cause ?? '')}`
      : `**${report.outcome.status}**`,
    '',
  );

  if (report.approvals.length > 0) {
    lines.push(`${h(1)} Approvals`, '');
    lines.push(
      '| Gate | Requested | Decision | Decided | By | Independent of requester and starter | Summary hash |',
    );
    lines.push('|---|---|---|---|---|---|---|');
    for (const a of report.approvals) {
      const by =
        a.approvers.length > 0
          ? a.approvers
              .map(
                (p) =>
                  `${md(p.person)}${p.arn ? ` (${code(p.arn)})` : ''}${p.comment ? `: ${md(p.comment)}` : ''}`,
              )
              .join('<br>')
          : '-';
      const independent = a.independent === null ? '-' : a.independent ? 'yes' : '**no**';
      const refused = a.refused
        .map((f) => `<br>refused before: ${md(f.code)} for ${code(f.arn)} at ${md(f.at ?? '?')}`)
        .join('');
      lines.push(
        `| ${md(a.gate)} | ${md(a.requestedAt)} | ${a.decision}${a.reason ? `: ${md(short(a.reason, 200))}` : ''}${refused} | ${md(a.decidedAt ?? '-')} | ${by} | ${independent} | ${a.summaryHash ? code(a.summaryHash.slice(0, 16)) : '-'} |`,
      );
    }
    lines.push('');
  }

  lines.push(`${h(1)} What changed`, '');
  if (report.changes.length === 0) lines.push('Nothing.', '');
  else {
    lines.push('| When | Step | What | Before | After |', '|---|---|---|---|---|');
    for (const c of report.changes)
      lines.push(
        `| ${md(c.at)} | ${md(c.state)} | ${md(c.what)} | ${c.before ? code(c.before) : '-'} | ${c.after ? code(c.after) : '-'} |`,
      );
    lines.push('');
  }

  lines.push(`${h(1)} Steps`, '');
  lines.push('| # | State | Type | Started | Took | Notes |', '|---|---|---|---|---|---|');
  report.steps.forEach((step, i) => {
    lines.push(stepRow(step, i + 1));
  });
  lines.push('');

  for (const n of report.nested) {
    lines.push(`${h(1)} Nested run from ${md(n.state)}`, '');
    if (n.why) lines.push(`Started after ${code(n.why.error)}: ${md(short(n.why.cause, 400))}`, '');
    if (n.degradedSeconds !== null)
      lines.push(
        `The service was degraded for ${took(n.degradedSeconds)} (from the first change to the service to the rollback's service stable again).`,
        '',
      );
    lines.push(
      n.report
        ? markdownReport(n.report, depth + 2)
        : `Its history is not in the record: ${code(n.executionArn)}.\n`,
    );
  }

  if (depth === 1) {
    lines.push(
      `${h(1)} Input`,
      '',
      '```json',
      JSON.stringify(report.started.input, null, 2)
        .split('\n')
        .map(printable)
        .join('\n')
        .replace(/```/g, "'''"),
      '```',
      '',
    );
  }
  return lines.join('\n');
}
