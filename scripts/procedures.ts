// `runbook procedures [--json]`: the catalogue of what the runbook automates, read from the registry:
// for each procedure its state machine, the runbook section, its input fields as the schema defines
// them, the example input, what it locks, its scenarios with their expected outcomes, and its errors.
import { z } from 'zod';
import { type ProcedureSpec, stateMachineName } from '../statemachines/procedure.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { errorName } from '../tasks/errors.ts';
import type { Style } from './timeline.ts';

export interface InputField {
  readonly name: string;
  /** The JSON type the schema accepts: string, integer, boolean, object, or several joined by " or ". */
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
}

export interface CatalogueEntry {
  readonly name: string;
  readonly stateMachine: string;
  readonly summary: string;
  readonly runbookSection: string;
  readonly lock: ProcedureSpec['lock'];
  readonly input: { readonly fields: InputField[]; readonly example: unknown };
  readonly scenarios: { name: string; description: string; status: string; error: string | null }[];
  readonly errors: string[];
}

type JsonSchema = {
  type?: string;
  anyOf?: JsonSchema[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

const typeOf = (schema: JsonSchema): string =>
  schema.anyOf ? [...new Set(schema.anyOf.map(typeOf))].join(' or ') : (schema.type ?? 'any');

/** The top-level fields of an input schema, as its JSON Schema (zod's own conversion) states them. */
export function inputFields(schema: z.ZodType): InputField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, field]) => ({
    name,
    type: typeOf(field),
    required: required.has(name),
    description: field.description ?? '',
  }));
}

export function catalogueEntry(procedure: ProcedureSpec): CatalogueEntry {
  return {
    name: procedure.name,
    stateMachine: stateMachineName(procedure),
    summary: procedure.summary,
    runbookSection: procedure.runbookSection,
    lock: procedure.lock,
    input: { fields: inputFields(procedure.input), example: procedure.example },
    scenarios: procedure.scenarios.map((s) => ({
      name: s.name,
      description: s.description,
      status: s.expect.status,
      error: s.expect.error ? errorName(s.expect.error) : null,
    })),
    errors: procedure.errors.map(errorName),
  };
}

export const procedureCatalogue = (): { procedures: CatalogueEntry[] } => ({
  procedures: PROCEDURES.map(catalogueEntry),
});

/** The catalogue for a person: one block per procedure. */
export function printCatalogue(out: (line: string) => void, style: Style): void {
  for (const p of procedureCatalogue().procedures) {
    out(
      `${style.bold(p.name)}  ${style.dim(`state machine ${p.stateMachine} · ${p.lock === 'none' ? 'locks nothing (read-only)' : `locks the ${p.lock}`}`)}`,
    );
    out(`  ${p.summary}`);
    out(style.dim(`  automates the runbook's ${p.runbookSection}`));
    out('  input:');
    const width = Math.max(...p.input.fields.map((f) => f.name.length));
    const kinds = p.input.fields.map((f) => `${f.type}${f.required ? ', required' : ''}`);
    const kindWidth = Math.max(...kinds.map((k) => k.length));
    p.input.fields.forEach((f, i) => {
      out(`    ${f.name.padEnd(width)}  ${style.dim((kinds[i] ?? '').padEnd(kindWidth))}  ${f.description}`);
    });
    out('  scenarios (runbook rehearse --scenario <name>):');
    const named = Math.max(...p.scenarios.map((s) => s.name.length));
    const outcomeWidth = Math.max(...p.scenarios.map((s) => (s.error ?? s.status).length));
    for (const s of p.scenarios)
      out(
        `    ${s.name.padEnd(named)}  ${(s.error ?? s.status).padEnd(outcomeWidth)}  ${style.dim(s.description)}`,
      );
    out(`  ends with: ${p.errors.join(', ')}`);
    out('');
  }
}

const INDEX_START =
  '<!-- procedures: generated from statemachines/registry.ts by `npm run docs`; do not edit -->';
const INDEX_END = '<!-- end of procedures -->';

/** The README's index of procedures: one row each, linking its reference page. */
export function procedureIndex(): string {
  const rows = PROCEDURES.map(
    (p) =>
      `| [\`${p.name}\`](${p.page}) | \`${stateMachineName(p)}\` | ${p.runbookSection} | ${p.summary.replace(/\|/g, '\\|')} |`,
  );
  return [
    INDEX_START,
    '| procedure | state machine | runbook section | what it does |',
    '| --- | --- | --- | --- |',
    ...rows,
    INDEX_END,
  ].join('\n');
}

/** The README with its index of procedures made anew; the markers must be there already. */
export function withProcedureIndex(readme: string): string {
  const start = readme.indexOf(INDEX_START);
  const end = readme.indexOf(INDEX_END);
  if (start < 0 || end < start)
    throw new Error(`the README has no index markers (${INDEX_START} ... ${INDEX_END})`);
  return readme.slice(0, start) + procedureIndex() + readme.slice(end + INDEX_END.length);
}
