// The audit report as one self-contained HTML page: it opens offline (no script, font or image is
// fetched; the drawing is inline SVG), and shows the run's state machine with the path taken
// highlighted, the state it failed in marked, caught errors and retries shown, the states it never
// reached dimmed, and each state's time on hover. Every text from input or AWS is escaped.
import type { AuditReport, RunRecord, Step } from '../../tasks/audit/report.ts';
import { type Asl, esc as escapeText, GRAPH_STYLE, type Graph, type Mark, svgOf } from './graph.ts';
import { short, took, via } from './markdown.ts';

const esc = (value: unknown) => escapeText(typeof value === 'string' ? value : JSON.stringify(value ?? null));
const code = (value: unknown) => `<code>${esc(value)}</code>`;

/** How each state the run visited is marked, and its time, from the report's steps. */
export function marksOf(report: AuditReport): Map<string, Mark> {
  const marks = new Map<
    string,
    { status: Mark['status']; seconds: number; visits: number; retried: number; notes: string[] }
  >();
  const add = (
    state: string,
    status: Mark['status'],
    seconds: number,
    visits: number,
    retried: number,
    note?: string,
  ) => {
    const mark = marks.get(state) ?? { status: 'taken', seconds: 0, visits: 0, retried: 0, notes: [] };
    if (status === 'failed' || (status === 'caught' && mark.status === 'taken')) mark.status = status;
    mark.seconds += seconds;
    mark.visits += visits;
    mark.retried += retried;
    if (note) mark.notes.push(note);
    marks.set(state, mark);
  };
  const failedAt = failedState(report);
  for (const step of report.steps) {
    const loop = step.kind === 'loop';
    // A loop's retries are its failed polls but the one caught; a step's, its attempts after the first.
    const retried = loop ? step.failures.length - (step.caught ? 1 : 0) : step.attempts - 1;
    add(
      step.state,
      step.caught ? 'caught' : 'taken',
      step.seconds ?? 0,
      loop ? step.polls : 1,
      Math.max(0, retried),
      step.caught ? `caught ${step.caught.error}` : undefined,
    );
  }
  // States a loop folded away (its wait and choice) were taken too.
  for (const t of report.transitions)
    for (const state of [t.from, t.to]) if (!marks.has(state)) add(state, 'taken', 0, t.count, 0);
  if (failedAt) add(failedAt, 'failed', 0, 0, 0, report.outcome.error ?? undefined);
  return new Map(
    [...marks].map(([state, m]) => [
      state,
      {
        status: m.status,
        retried: m.retried,
        title: `${took(m.seconds)}${m.visits > 1 ? `, ${m.visits} visits` : ''}${m.retried ? `, ${m.retried} retries` : ''}${m.notes.length ? `; ${[...new Set(m.notes)].join('; ')}` : ''}`,
      },
    ]),
  );
}

/** The state the run ended failing in: its Fail state, else the last state visited when it failed. */
function failedState(report: AuditReport): string | null {
  if (report.status === 'SUCCEEDED' || report.status === 'RUNNING') return null;
  const last = report.steps.at(-1);
  return last ? last.state : null;
}

function stepRow(step: Step, i: number): string {
  const errors = step.failures
    .map((f) => `<div class="error">${esc(f.error)}: ${esc(short(f.cause, 200))}</div>`)
    .join('');
  if (step.kind === 'loop')
    return `<tr class="loop${step.caught ? ' caught' : ''}"><td>${i}</td><td>${esc(step.state)}</td><td>poll loop</td><td>${esc(step.firstAt)}</td><td>${took(step.seconds)}</td><td>polled ${step.polls} times; first ${code(short(step.first))}; last ${code(short(step.last))}${step.caught ? `; caught <b>${esc(step.caught.error)}</b>` : ''}${errors}</td></tr>`;
  return `<tr class="${step.caught ? 'caught' : ''}"><td>${i}</td><td>${esc(step.state)}</td><td>${esc(step.type)}</td><td>${esc(step.enteredAt)}</td><td>${took(step.seconds)}</td><td>${step.attempts > 1 ? `${step.attempts} attempts` : ''}${step.caught ? ` caught <b>${esc(step.caught.error)}</b>` : ''}${errors}</td></tr>`;
}

function section(
  report: AuditReport,
  records: readonly RunRecord[],
  graphOf: (asl: Asl) => Graph,
  level: number,
): string {
  const h = (n: number) => `h${Math.min(6, level + n)}`;
  const record = records.find((r) => r.executionArn === report.executionArn);
  let drawing =
    '<p class="note">The definition that ran is not known (DescribeStateMachineForExecution was not answered), so it is not drawn.</p>';
  if (record?.definition) {
    const asl = JSON.parse(record.definition) as Asl;
    const taken = new Set(report.transitions.map((t) => `${t.from}->${t.to}`));
    drawing = `<div class="drawing">${svgOf(graphOf(asl), { title: `The ${report.procedure} state machine, the path of ${report.name} marked`, marks: marksOf(report), taken })}</div>`;
  }
  const rows: [string, string][] = [
    ['Execution', code(report.executionArn)],
    ['Requested by', esc(report.started.requestedBy ?? 'not said')],
    [
      'Started by',
      report.started.startedBy
        ? `${code(report.started.startedBy)} (CloudTrail, as the approval service verified it)`
        : 'not verified (no approval gate asked CloudTrail)',
    ],
    ['How', esc(via(report))],
    ...(report.started.reason !== null
      ? ([['Reason', esc(report.started.reason)]] as [string, string][])
      : []),
    ...(report.started.changeRequest !== null
      ? ([['Change request', esc(report.started.changeRequest)]] as [string, string][])
      : []),
    ['Started', esc(report.startedAt)],
    ['Ended', `${esc(report.stoppedAt ?? 'still running')} (${took(report.seconds)})`],
    [
      'Procedure definition',
      `${report.definition.sha256 ? `sha256 ${code(report.definition.sha256)}` : 'not known'}${report.definition.comment ? `: ${esc(report.definition.comment)}` : ''}`,
    ],
    [
      'History',
      `${report.events} events${report.truncated ? ', some outputs truncated by the 256 KiB limit' : ''}`,
    ],
  ];
  const parts = [
    `<section class="run" data-execution="${esc(report.executionArn)}">`,
    `<${h(0)}>${esc(report.procedure)}: ${esc(report.name)} <span class="status ${esc(report.status.toLowerCase())}">${esc(report.status)}</span></${h(0)}>`,
    `<table class="facts">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`,
    `<${h(1)}>Outcome</${h(1)}>`,
    `<p class="outcome">${report.outcome.error ? `<b>${esc(report.outcome.status)}</b> with ${code(report.outcome.error)}: ${esc(report.outcome.cause ?? '')}` : `<b>${esc(report.outcome.status)}</b>`}</p>`,
    drawing,
  ];
  if (report.approvals.length > 0) {
    parts.push(
      `<${h(1)}>Approvals</${h(1)}>`,
      '<table><tr><th>Gate</th><th>Requested</th><th>Decision</th><th>Decided</th><th>By</th><th>Independent of requester and starter</th><th>Summary hash</th></tr>',
      ...report.approvals.map(
        (a) =>
          `<tr><td>${esc(a.gate)}</td><td>${esc(a.requestedAt)}</td><td>${esc(a.decision)}${a.reason ? `: ${esc(short(a.reason, 300))}` : ''}${a.refused.map((f) => `<div class="error">refused before: ${esc(f.code)} for ${code(f.arn)} at ${esc(f.at ?? '?')}</div>`).join('')}</td><td>${esc(a.decidedAt ?? '-')}</td><td>${a.approvers.map((p) => `${esc(p.person)}${p.arn ? ` ${code(p.arn)}` : ''}${p.comment ? `: ${esc(p.comment)}` : ''}`).join('<br>') || '-'}</td><td>${a.independent === null ? '-' : a.independent ? 'yes' : '<b>no</b>'}</td><td>${a.summaryHash ? code(a.summaryHash) : '-'}</td></tr>`,
      ),
      '</table>',
    );
  }
  parts.push(`<${h(1)}>What changed</${h(1)}>`);
  if (report.changes.length === 0) parts.push('<p>Nothing.</p>');
  else
    parts.push(
      '<table><tr><th>When</th><th>Step</th><th>What</th><th>Before</th><th>After</th></tr>',
      ...report.changes.map(
        (c) =>
          `<tr><td>${esc(c.at)}</td><td>${esc(c.state)}</td><td>${esc(c.what)}</td><td>${c.before ? code(c.before) : '-'}</td><td>${c.after ? code(c.after) : '-'}</td></tr>`,
      ),
      '</table>',
    );
  parts.push(
    `<${h(1)}>Steps</${h(1)}>`,
    '<table class="steps"><tr><th>#</th><th>State</th><th>Type</th><th>Started</th><th>Took</th><th>Notes</th></tr>',
    ...report.steps.map((s, i) => stepRow(s, i + 1)),
    '</table>',
  );
  for (const n of report.nested) {
    parts.push(`<${h(1)}>Nested run from ${esc(n.state)}</${h(1)}>`);
    if (n.why) parts.push(`<p>Started after ${code(n.why.error)}: ${esc(short(n.why.cause, 400))}</p>`);
    if (n.degradedSeconds !== null)
      parts.push(
        `<p>The service was degraded for ${took(n.degradedSeconds)} (from the first change to the service to the rollback's service stable again).</p>`,
      );
    parts.push(
      n.report
        ? section(n.report, records, graphOf, level + 2)
        : `<p class="note">Its history is not in the record: ${code(n.executionArn)}.</p>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1d2330; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #d5dae3; padding: 4px 8px; text-align: left; vertical-align: top; }
table.facts th { background: #f4f6fa; width: 13em; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.status { padding: 2px 8px; border-radius: 4px; font-size: 0.8em; }
.status.succeeded { background: #e7f6ec; } .status.failed, .status.timed_out, .status.aborted { background: #ffd6d6; }
tr.caught td { background: #fff8e6; } .error { color: #c62828; }
.drawing { overflow: auto; border: 1px solid #d5dae3; margin: 0.5em 0 1.5em; max-height: 80vh; }
.note { color: #56607a; }
`;

export function htmlReport(
  report: AuditReport,
  records: readonly RunRecord[],
  graphOf: (asl: Asl) => Graph,
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Audit: ${esc(report.procedure)} ${esc(report.name)} ${esc(report.status)}</title>
<style>${PAGE_STYLE}${GRAPH_STYLE}</style></head>
<body>
${section(report, records, graphOf, 1)}
<h2>Input</h2>
<pre>${JSON.stringify(report.started.input, null, 2).split('\n').map(esc).join('\n')}</pre>
</body></html>
`;
}
