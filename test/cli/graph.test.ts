// The drawing of a state machine: dagre's layout with a Parallel's branches and a Map's processor as
// boxes around their states, Catch edges apart from Next edges, retries marked, names escaped; and
// the same machine as Mermaid.
import { describe, expect, it } from 'vitest';
import { type Asl, graphOf, mermaidOf, svgOf } from '../../scripts/audit/graph.ts';

const ASL: Asl = {
  StartAt: 'Check <b>"it"</b>',
  States: {
    'Check <b>"it"</b>': {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:check',
      Retry: [{ ErrorEquals: ['Throttling'], MaxAttempts: 4 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
      Next: 'Ready?',
    },
    'Ready?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.ready', BooleanEquals: true, Next: 'Both' }],
      Default: 'Failed',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
        {
          StartAt: 'Right',
          States: {
            Right: { Type: 'Pass', Next: 'Right Again' },
            'Right Again': { Type: 'Pass', End: true },
          },
        },
      ],
      Next: 'Each',
    },
    Each: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'X' },
  },
};

describe('the drawing of a state machine', () => {
  const graph = graphOf(ASL);
  const node = (id: string) => graph.nodes.find((n) => n.id === id);

  it("nests a Parallel's branches and a Map's processor in boxes that enclose them", () => {
    for (const [box, inner] of [
      ['Both', ['Left', 'Right', 'Right Again']],
      ['Each', ['Item']],
    ] as const) {
      const b = node(box);
      expect(b).toBeDefined();
      for (const id of inner) {
        const n = node(id);
        expect(n?.parent).toBe(box);
        expect(Math.abs((n?.x ?? 0) - (b?.x ?? 0)) + (n?.width ?? 0) / 2).toBeLessThanOrEqual(
          (b?.width ?? 0) / 2,
        );
        expect(Math.abs((n?.y ?? 0) - (b?.y ?? 0)) + (n?.height ?? 0) / 2).toBeLessThanOrEqual(
          (b?.height ?? 0) / 2,
        );
      }
    }
    // And top-level states lie outside them, one above another from the start
    expect(node('Ready?')?.parent).toBeNull();
    expect(node('Ready?')?.y ?? 0).toBeGreaterThan(node('Check <b>"it"</b>')?.y ?? 0);
  });

  it('keeps Catch edges apart from Next edges, labelled with what they catch, and marks retries', () => {
    const kinds = graph.edges.map((e) => [e.from.split('\u0000')[0], e.to, e.kind, e.label]);
    expect(kinds).toContainEqual(['Check <b>"it"</b>', 'Failed', 'catch', 'States.ALL']);
    expect(kinds).toContainEqual(['Check <b>"it"</b>', 'Ready?', 'next', '']);
    expect(kinds).toContainEqual(['Ready?', 'Failed', 'default', 'otherwise']);
    expect(kinds).toContainEqual(['Ready?', 'Both', 'choice', 'ready = true']);
    expect(node('Check <b>"it"</b>')?.retries).toBe(4);
    expect(graph.edges.every((e) => e.points.length >= 2)).toBe(true);
    const svg = svgOf(graph, { title: 'test' });
    expect(svg).toContain('class="edge catch"');
    expect(svg).toContain('↻');
  });

  it('escapes state names, and dims what a run did not reach', () => {
    const svg = svgOf(graph, {
      title: 'a <machine>',
      marks: new Map([['Check <b>"it"</b>', { status: 'failed', title: '3 s', retried: 2 }]]),
      taken: new Set(),
    });
    expect(svg).toContain('<title>a &lt;machine&gt;</title>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('Check &lt;b&gt;&quot;it&quot;&lt;/b&gt;');
    expect(svg).toMatch(/class="state task failed" data-state="Check &lt;b&gt;/);
    expect(svg).toMatch(/class="state succeed unreached" data-state="Done"/);
    expect(svg).toContain('↻ 2');
  });

  it('writes the same machine as Mermaid: nested boxes as subgraphs, Catch edges dotted', () => {
    const text = mermaidOf(ASL);
    expect(text.startsWith('flowchart TD\n')).toBe(true);
    expect(text).toMatch(/subgraph s\d+_box \["Both"\]/);
    expect(text).toMatch(/s0 -\.->\|"States\.ALL"\| s\d+/);
    expect(text).toMatch(/s1\{"Ready\?"\}/);
    expect(text).toContain('#quot;it#quot;');
    expect(text).not.toMatch(/"Check <b>"it"/);
  });
});
