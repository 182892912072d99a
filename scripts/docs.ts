// `npm run docs`: writes what the docs take from the registry (a test checks each is current): the
// README's index of procedures, and each reference page's drawing of its state machine (an SVG
// beside the page, laid out by dagre, and the same as Mermaid in the page).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../infra/config.ts';
import { synthesizeDefinitions } from '../rehearsal/definitions.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { standaloneSvg, withMachineGraph } from './audit/graph.ts';
import { withProcedureIndex } from './procedures.ts';

const root = new URL('../', import.meta.url);
const readme = fileURLToPath(new URL('README.md', root));
writeFileSync(readme, withProcedureIndex(readFileSync(readme, 'utf8')));
process.stdout.write(`${readme}: index of procedures written\n`);

const definitions = synthesizeDefinitions(loadConfig());
for (const procedure of PROCEDURES) {
  const asl = definitions.machines[procedure.name]?.asl;
  if (!asl) throw new Error(`${procedure.name} has no state machine in the synthesized app`);
  const page = fileURLToPath(new URL(procedure.page, root));
  writeFileSync(page, withMachineGraph(readFileSync(page, 'utf8'), procedure.name, asl));
  const svg = page.replace(/[^/]+\.md$/, `${procedure.name}.svg`);
  writeFileSync(svg, standaloneSvg(asl, `The ${procedure.name} state machine`));
  process.stdout.write(`${page}: state machine drawn (${svg})\n`);
}
