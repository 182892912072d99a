// A state machine drawn: laid out by dagre (a compound graph: a Parallel's branches and a Map's
// item processor are boxes nested in their state), drawn as SVG with Catch edges dashed and
// labelled apart from Next edges, and as Mermaid text for the docs. The audit page marks on the
// same drawing the path a run took, the state it failed in, the errors caught and the retries.
import dagre from '@dagrejs/dagre';
import { printable } from '../../tasks/printable.ts';

// biome-ignore lint/suspicious/noExplicitAny: ASL is JSON of many shapes; each use below reads what it needs.
export type Asl = { StartAt: string; States: Record<string, any>; Comment?: string };

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'branch';

export interface GraphNode {
  readonly id: string;
  readonly type: string;
  /** The Parallel or Map state it is inside, if any. */
  readonly parent: string | null;
  /** How many times its Retry may call again (the sum of MaxAttempts), 0 without one. */
  readonly retries: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label: string;
  points: { x: number; y: number }[];
}

export interface Graph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly width: number;
  readonly height: number;
}

/** Every state, nested ones included, with the state it is nested in. */
function statesOf(
  asl: Asl,
  parent: string | null = null,
): { id: string; state: Record<string, unknown>; parent: string | null }[] {
  return Object.entries(asl.States).flatMap(([id, state]) => [
    { id, state, parent },
    ...[
      ...(state.Branches ?? []),
      ...(state.ItemProcessor ? [state.ItemProcessor] : []),
      ...(state.Iterator ? [state.Iterator] : []),
    ].flatMap((inner: Asl) => statesOf(inner, id)),
  ]);
}

const isBox = (state: Record<string, unknown>) =>
  Array.isArray(state.Branches) || state.ItemProcessor !== undefined || state.Iterator !== undefined;
/** The start's node: no state may be named so (names are printable). */
const START = '\u0000start';
/** A box's own node (its edges in and out meet it): its name, inside its box. */
const headOf = (id: string) => `${id}\u0000head`;

function edgesOf(id: string, state: Record<string, unknown>): Omit<GraphEdge, 'points'>[] {
  const edges: Omit<GraphEdge, 'points'>[] = [];
  const from = isBox(state) ? headOf(id) : id;
  const to = (target: string, kind: EdgeKind, label = '') => edges.push({ from, to: target, kind, label });
  if (typeof state.Next === 'string') to(state.Next, 'next');
  for (const choice of (state.Choices as Record<string, unknown>[] | undefined) ?? [])
    if (typeof choice.Next === 'string') to(choice.Next, 'choice', choiceLabel(choice));
  if (typeof state.Default === 'string') to(state.Default, 'default', 'otherwise');
  for (const c of (state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? [])
    to(c.Next, 'catch', c.ErrorEquals.join(', '));
  for (const inner of [
    ...((state.Branches as Asl[] | undefined) ?? []),
    ...(state.ItemProcessor ? [state.ItemProcessor as Asl] : []),
    ...(state.Iterator ? [state.Iterator as Asl] : []),
  ])
    to(inner.StartAt, 'branch');
  return edges;
}

/** A choice rule in a few words: the variable and what it is compared with. */
function choiceLabel(rule: Record<string, unknown>): string {
  if (typeof rule.Condition === 'string') return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '').slice(0, 40);
  const variable = typeof rule.Variable === 'string' ? rule.Variable.replace(/^\$\./, '') : '';
  const test = Object.entries(rule).find(([k]) => !['Variable', 'Next', 'Comment'].includes(k));
  if (!test) return variable;
  if (['And', 'Or', 'Not'].includes(test[0])) return test[0].toLowerCase();
  const value = typeof test[1] === 'object' ? '…' : String(test[1]);
  return `${variable} ${test[0].replace(/(String|Numeric|Boolean|Timestamp)|Path$/g, '').replace('Equals', '=')} ${value}`
    .trim()
    .slice(0, 40);
}

const CHAR = 7;
const PAD = 24;

/** Lays the machine out (top to bottom); sizes are in SVG user units. */
export function graphOf(asl: Asl): Graph {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, edgesep: 12, marginx: 16, marginy: 16 });
  const all = statesOf(asl);
  const nodes = new Map<string, GraphNode>();
  for (const { id, state, parent } of all) {
    const retries = ((state.Retry as { MaxAttempts?: number }[] | undefined) ?? []).reduce(
      (sum, r) => sum + (r.MaxAttempts ?? 3),
      0,
    );
    const node: GraphNode = {
      id,
      type: String(state.Type),
      parent,
      retries,
      x: 0,
      y: 0,
      width: 0,
      height: 0,
    };
    nodes.set(id, node);
    const size = { width: Math.max(90, id.length * CHAR + PAD + (retries ? 28 : 0)), height: 34 };
    if (isBox(state)) {
      g.setNode(id, { label: id, clusterLabelPos: 'top' });
      g.setNode(headOf(id), size);
      g.setParent(headOf(id), id);
    } else g.setNode(id, size);
    if (parent) g.setParent(id, parent);
  }
  const start = START;
  g.setNode(start, { width: 14, height: 14 });
  const entry = (id: string) => (isBox(asl.States[id] ?? {}) ? headOf(id) : id);
  const edges: GraphEdge[] = [{ from: start, to: asl.StartAt, kind: 'next', label: '', points: [] }];
  for (const { id, state } of all) for (const e of edgesOf(id, state)) edges.push({ ...e, points: [] });
  const boxes = new Set(all.filter((s) => isBox(s.state)).map((s) => s.id));
  edges.forEach((e, i) => {
    const label = e.label ? { width: Math.min(40, e.label.length) * 6 + 8, height: 14, labelpos: 'c' } : {};
    g.setEdge(e.from, boxes.has(e.to) ? entry(e.to) : e.to, label, String(i));
  });
  dagre.layout(g);
  for (const [id, node] of nodes) {
    const laid = g.node(id);
    Object.assign(node, { x: laid.x, y: laid.y, width: laid.width, height: laid.height });
  }
  const startNode = g.node(start);
  edges.forEach((e, i) => {
    const laid = g.edge({ v: e.from, w: boxes.has(e.to) ? entry(e.to) : e.to, name: String(i) });
    e.points = laid?.points ?? [];
  });
  const graph = g.graph();
  return {
    nodes: [
      {
        id: start,
        type: 'Start',
        parent: null,
        retries: 0,
        x: startNode.x,
        y: startNode.y,
        width: 14,
        height: 14,
      },
      ...nodes.values(),
      ...[...boxes].map((id) => {
        const head = g.node(headOf(id));
        const box = nodes.get(id) as GraphNode;
        return {
          ...box,
          id: headOf(id),
          parent: id,
          x: head.x,
          y: head.y,
          width: head.width,
          height: head.height,
        };
      }),
    ],
    edges,
    width: graph.width ?? 0,
    height: graph.height ?? 0,
  };
}

/** How the audit page marks a state: taken, failed in, caught an error; its title (shown on hover). */
export interface Mark {
  readonly status: 'taken' | 'failed' | 'caught';
  readonly title: string;
  /** Retries that happened (the attempts beyond the first). */
  readonly retried: number;
}

/** Text made harmless in HTML and SVG: control characters shown as escapes, markup characters as entities. */
export const esc = (text: string) =>
  printable(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
const HEAD = headOf('');
/** A node's state name as the history names it: a box's head is its state, the start is no state (''). */
const display = (id: string) => (id === START ? '' : id.endsWith(HEAD) ? id.slice(0, -HEAD.length) : id);

/** The drawing as an SVG element; with marks, states not reached are dimmed. */
export function svgOf(
  graph: Graph,
  options: { title: string; marks?: ReadonlyMap<string, Mark>; taken?: ReadonlySet<string> },
): string {
  const { marks, taken: takenEdges } = options;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine" viewBox="0 0 ${Math.ceil(graph.width)} ${Math.ceil(graph.height)}" width="${Math.ceil(graph.width)}" height="${Math.ceil(graph.height)}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(options.title)}"><title>${esc(options.title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>',
  );
  const boxes = graph.nodes.filter((n) => graph.nodes.some((m) => m.id === `${n.id}\u0000head`));
  for (const b of boxes)
    parts.push(
      `<g class="box" data-state="${esc(b.id)}"><rect x="${b.x - b.width / 2}" y="${b.y - b.height / 2}" width="${b.width}" height="${b.height}" rx="8" fill="none" stroke="#8894a8" stroke-dasharray="2 3"/></g>`,
    );
  for (const e of graph.edges) {
    if (e.points.length === 0) continue;
    const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const key = `${display(e.from)}->${e.to}`;
    // A Catch edge was taken only if its state caught an error (its Next may lead to the same state).
    const taken =
      (takenEdges?.has(key) ?? false) &&
      (e.kind !== 'catch' || marks?.get(display(e.from))?.status === 'caught');
    const cls = `edge ${e.kind}${taken ? ' taken' : ''}${marks && !taken ? ' unreached' : ''}`;
    parts.push(
      `<g class="${cls}" data-from="${esc(display(e.from))}" data-to="${esc(e.to)}"><path d="${d}" fill="none" marker-end="url(#arrow)"/>`,
    );
    if (e.label) {
      const mid = e.points[Math.floor(e.points.length / 2)] ?? { x: 0, y: 0 };
      parts.push(
        `<text x="${mid.x.toFixed(1)}" y="${(mid.y - 3).toFixed(1)}" text-anchor="middle" class="label">${esc(e.label)}</text>`,
      );
    }
    parts.push('</g>');
  }
  for (const n of graph.nodes) {
    if (boxes.includes(n)) continue;
    const state = display(n.id);
    const mark = marks?.get(state);
    const cls = [
      'state',
      n.type.toLowerCase(),
      ...(mark ? [mark.status] : marks && n.type !== 'Start' ? ['unreached'] : []),
    ].join(' ');
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    if (n.type === 'Start') {
      parts.push(`<g class="${cls}"><circle cx="${n.x}" cy="${n.y}" r="6"/></g>`);
      continue;
    }
    const rx = n.type === 'Choice' ? 17 : n.type === 'Succeed' || n.type === 'Fail' ? 17 : 5;
    const retry =
      n.retries > 0
        ? `<text x="${x + n.width - 8}" y="${n.y + 4}" text-anchor="end" class="retry">↻${mark?.retried ? ` ${mark.retried}` : ''}</text>`
        : '';
    parts.push(
      `<g class="${cls}" data-state="${esc(state)}" data-type="${esc(n.type)}"><title>${esc(mark ? `${state}: ${mark.title}` : `${state} (${n.type})`)}</title><rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="${rx}"/><text x="${n.x - (n.retries ? 10 : 0)}" y="${n.y + 4}" text-anchor="middle">${esc(state)}</text>${retry}</g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The styles the drawing needs (the page and the docs embed them beside it). */
export const GRAPH_STYLE = `
svg.machine .state rect { fill: #f4f6fa; stroke: #56607a; stroke-width: 1.2; }
svg.machine .state.choice rect { fill: #fff8e6; }
svg.machine .state.succeed rect { fill: #e7f6ec; }
svg.machine .state.fail rect { fill: #fdecec; }
svg.machine .state.start circle { fill: #56607a; }
svg.machine .edge path { stroke: #56607a; stroke-width: 1.2; }
svg.machine .edge.catch path { stroke: #c0392b; stroke-dasharray: 5 3; }
svg.machine .edge.branch path { stroke-dasharray: 1 3; }
svg.machine .edge .label { fill: #56607a; font-size: 10px; }
svg.machine .edge.catch .label { fill: #c0392b; }
svg.machine .retry { fill: #8a6d00; font-size: 11px; }
svg.machine .state.taken rect { fill: #d9ecff; stroke: #1565c0; stroke-width: 2.5; }
svg.machine .state.caught rect { fill: #fff1d6; stroke: #e67e00; stroke-width: 2.5; }
svg.machine .state.failed rect { fill: #ffd6d6; stroke: #c62828; stroke-width: 3; }
svg.machine .edge.taken path { stroke: #1565c0; stroke-width: 2.5; }
svg.machine .unreached { opacity: 0.35; }
`;

/** The machine as a Mermaid flowchart: Catch edges dotted and labelled, nested states as subgraphs. */
export function mermaidOf(asl: Asl): string {
  const all = statesOf(asl);
  const ids = new Map(all.map((s, i) => [s.id, `s${i}`]));
  const quote = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;
  const shape = (id: string, type: string) => {
    const n = ids.get(id) as string;
    if (type === 'Choice') return `${n}{${quote(id)}}`;
    if (type === 'Succeed' || type === 'Fail') return `${n}([${quote(id)}])`;
    return `${n}[${quote(id)}]`;
  };
  const lines = ['flowchart TD', `  start(( )) --> ${ids.get(asl.StartAt)}`];
  const declare = (parent: string | null, indent: string) => {
    for (const s of all.filter((x) => x.parent === parent)) {
      if (isBox(s.state)) {
        lines.push(`${indent}subgraph ${ids.get(s.id)}_box [${quote(s.id)}]`);
        lines.push(`${indent}  ${shape(s.id, String(s.state.Type))}`);
        declare(s.id, `${indent}  `);
        lines.push(`${indent}end`);
      } else lines.push(`${indent}${shape(s.id, String(s.state.Type))}`);
    }
  };
  declare(null, '  ');
  for (const { id, state } of all)
    for (const e of edgesOf(id, state)) {
      const from = ids.get(id);
      const to = ids.get(e.to);
      const label = e.label ? `|${quote(e.label)}|` : '';
      lines.push(
        e.kind === 'catch'
          ? `  ${from} -.->${label} ${to}`
          : e.kind === 'branch'
            ? `  ${from} -.- ${to}`
            : `  ${from} -->${label} ${to}`,
      );
    }
  lines.push('  classDef fail fill:#fdecec,stroke:#c62828');
  const fails = all.filter((s) => s.state.Type === 'Fail').map((s) => ids.get(s.id));
  if (fails.length > 0) lines.push(`  class ${fails.join(',')} fail`);
  return `${lines.join('\n')}\n`;
}

/** The drawing as an SVG file of its own (for the docs): its styles inside it, on white. */
export function standaloneSvg(asl: Asl, title: string): string {
  const svg = svgOf(graphOf(asl), { title });
  const open = svg.indexOf('>') + 1;
  return `${svg.slice(0, open)}\n<style>${GRAPH_STYLE}</style>\n<rect width="100%" height="100%" fill="#fff"/>${svg.slice(open)}\n`;
}

export const GRAPH_START = '<!-- the state machine: written by npm run docs -->';
export const GRAPH_END = '<!-- end of the state machine -->';

/** A reference page with its state machine section made anew; the markers must be there already. */
export function withMachineGraph(page: string, procedure: string, asl: Asl): string {
  const start = page.indexOf(GRAPH_START);
  const end = page.indexOf(GRAPH_END);
  if (start < 0 || end < start)
    throw new Error(
      `the page of ${procedure} has no state machine markers (${GRAPH_START} ... ${GRAPH_END})`,
    );
  const section = [
    GRAPH_START,
    `![The ${procedure} state machine, laid out by dagre: Catch edges dashed red, retries marked ↻](${procedure}.svg)`,
    '',
    '<details><summary>The same as Mermaid</summary>',
    '',
    '```mermaid',
    mermaidOf(asl).trimEnd(),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
  return page.slice(0, start) + section + page.slice(end);
}
