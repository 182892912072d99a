// The config file: environments, their services and policies, notification targets, poll budgets.
// Read once, validated with zod; a broken file fails synth with a message naming the field.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { stateMachineName } from '../statemachines/procedure.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { DEFAULT_TIMING, MAX_POLL_ROUNDS, PollingSchema } from '../statemachines/timing.ts';
import { type Catalogue, CatalogueSchema } from '../tasks/schemas/catalogue.ts';
import { describeIssues } from '../tasks/schemas/issues.ts';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../runbook.config.json', import.meta.url));

export const ConfigSchema = CatalogueSchema.extend({
  $comment: z.string().optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .default('Runbook'),
  notifications: z
    .strictObject({
      /** Everyone who hears about starts, approvals, successes, rollbacks and failures. */
      email: z.array(z.email()).default([]),
      /** Who is paged when a rollback fails (the subscription filters on severity=page). */
      pageEmail: z.array(z.email()).default([]),
    })
    .default({ email: [], pageEmail: [] }),
  polling: PollingSchema.default(DEFAULT_TIMING),
}).superRefine((config, ctx) => {
  for (const procedure of PROCEDURES) {
    const { pollRounds } = procedure.budget({ timing: config.polling, catalogue: config });
    if (pollRounds > MAX_POLL_ROUNDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['polling'],
        message: `these budgets allow ${pollRounds} poll rounds in one run of ${stateMachineName(procedure)} (with the longest bake and approval of any environment); at most ${MAX_POLL_ROUNDS} keep its history below Step Functions' 25,000 events`,
      });
    }
  }
  for (const [envName, env] of Object.entries(config.environments)) {
    for (const [name, svc] of Object.entries(env.services)) {
      if (env.policy.snapshotRequired && svc.database === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', envName, 'services', name, 'database'],
          message: `required: ${envName} requires a snapshot before every deployment`,
        });
      }
    }
  }
});
export type Config = z.infer<typeof ConfigSchema>;

/** A config file that cannot be used; the message names the file and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseConfig(raw: unknown, source = 'config'): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${source} is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadConfig(path = DEFAULT_CONFIG_PATH): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path);
}

/** The part of the config the validation workers resolve inputs against (embedded in the definitions). */
export function catalogueOf(config: Config): Catalogue {
  return { account: config.account, region: config.region, environments: config.environments };
}
