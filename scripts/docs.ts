// `npm run docs`: writes the README's index of procedures from the registry (a test checks it is current).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withProcedureIndex } from './procedures.ts';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, withProcedureIndex(readFileSync(readme, 'utf8')));
process.stdout.write(`${readme}: index of procedures written\n`);
