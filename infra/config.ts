// The config file: environments, their services and policies, notification targets, poll budgets.
// Read once, validated with zod; a broken file fails synth with a message naming the field.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { visit } from 'jsonc-parser';
import { z } from 'zod';
import { DEFAULT_STACK_NAME, stateMachineName } from '../statemachines/procedure.ts';
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
    .default(DEFAULT_STACK_NAME),
  notifications: z
    .strictObject({
      /** Everyone who hears about starts, approvals, successes, rollbacks and failures. */
      email: z.array(z.email()).default([]),
      /** Who is paged when a rollback fails (the subscription filters on severity=page). */
      pageEmail: z.array(z.email()).default([]),
    })
    .default({ email: [], pageEmail: [] }),
  polling: PollingSchema.default(DEFAULT_TIMING),
  /** The run archive (infra/constructs/run-archive.ts): every ended run's record, kept for years. */
  archive: z
    .strictObject({
      /** How long each record is kept (auditors ask about last year: at least 400 days). */
      retentionDays: z.number().int().min(400).max(36_500).default(400),
      /** Write-once: S3 Object Lock in this mode for this many days (at most the retention). */
      objectLock: z
        .strictObject({
          mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
          days: z.number().int().min(1).max(36_500),
        })
        .optional(),
      /** How far back the sweep looks for ended runs not archived yet (inside Step Functions' 90 days). */
      sweepDays: z.number().int().min(1).max(89).default(80),
    })
    .refine((a) => !a.objectLock || a.objectLock.days <= a.retentionDays, {
      message: 'objectLock.days must not exceed retentionDays (a locked version cannot expire)',
      path: ['objectLock', 'days'],
    })
    .default({ retentionDays: 400, sweepDays: 80 }),
  /** The CI pipeline's role (infra/constructs/ci-role.ts): it starts and follows runs, never approves. */
  ci: z
    .strictObject({
      /** The GitHub repository whose workflows may assume it. */
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be <owner>/<repository>'),
      /** What of the repository may (the OIDC subject after `repo:<repository>:`): branches, environments. */
      subjects: z
        .array(
          z
            .string()
            .regex(
              /^(ref:refs\/(heads|tags)\/|environment:|pull_request$)\S*$/,
              'must be ref:refs/heads/<branch>, ref:refs/tags/<tag>, environment:<name> or pull_request',
            ),
        )
        .min(1)
        .default(['ref:refs/heads/main']),
      /** @default <stackName>-ci: two stacks in one account never take the same name */
      roleName: z
        .string()
        .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name')
        .optional(),
      /** The account's GitHub OIDC provider, if it has one already (an account has one per URL). */
      oidcProviderArn: z
        .string()
        .regex(
          /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
          'must be the ARN of the GitHub OIDC provider',
        )
        .optional(),
    })
    .optional(),
}).superRefine((config, ctx) => {
  for (const procedure of PROCEDURES) {
    // Step Functions names have at most 80 characters.
    const name = stateMachineName(procedure, config.stackName);
    if (name.length > 80)
      ctx.addIssue({
        code: 'custom',
        path: ['stackName'],
        message: `names the state machine ${name}, longer than the 80 characters Step Functions allows`,
      });
    const { pollRounds } = procedure.budget({ timing: config.polling, catalogue: config });
    if (pollRounds > MAX_POLL_ROUNDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['polling'],
        message: `these budgets allow ${pollRounds} poll rounds in one run of ${stateMachineName(procedure, config.stackName)} (with the longest bake and approval of any environment); at most ${MAX_POLL_ROUNDS} keep its history below Step Functions' 25,000 events`,
      });
    }
  }
  const seen = new Map<string, string>();
  const seenDatabases = new Map<string, string>();
  const procedures = new Set(PROCEDURES.map((p) => p.name));
  for (const [envName, env] of Object.entries(config.environments)) {
    // Nobody could decide: every run that needs an approval would wait until it expires.
    if (env.policy.approvalRequired && env.approvers.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['environments', envName, 'approvers'],
        message: `${envName} requires approvals: name who may decide them (ARN patterns)`,
      });
    for (const name of Object.keys(env.procedureApprovals))
      if (!procedures.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['environments', envName, 'procedureApprovals', name],
          message: `no procedure is called ${name} (known: ${[...procedures].join(', ')})`,
        });
    // Two names for one instance would take two locks for it: a restore and a backup at once.
    for (const [name, db] of Object.entries(env.databases)) {
      const instance = db.instance.toLowerCase();
      const other = seenDatabases.get(instance);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', envName, 'databases', name, 'instance'],
          message: `${db.instance} is already configured as ${other}`,
        });
      else seenDatabases.set(instance, `${envName}.${name}`);
      if (db.monitoringRoleArn && db.monitoringRoleArn.split(':')[4] !== config.account)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', envName, 'databases', name, 'monitoringRoleArn'],
          message: `must be in account ${config.account}, as the stack is`,
        });
    }
    // An incident's topics are published to by the stack's function, in the stack's region.
    for (const [severity, topics] of Object.entries(env.incidents ?? {}))
      topics.forEach((topic, i) => {
        const [, , , region, account] = topic.split(':');
        if (region !== config.region || account !== config.account)
          ctx.addIssue({
            code: 'custom',
            path: ['environments', envName, 'incidents', severity, i],
            message: `must be a topic of account ${config.account}, ${config.region}, as the stack is`,
          });
      });
    for (const [name, svc] of Object.entries(env.services)) {
      const at = ['environments', envName, 'services', name];
      const issue = (field: (string | number)[], message: string) =>
        ctx.addIssue({ code: 'custom', path: [...at, ...field], message });
      // The stack manages one account and region: a resource elsewhere could not be reached (or, worse, is another team's).
      const [, , , region, account] = svc.targetGroupArn.split(':');
      if (region !== config.region || account !== config.account)
        issue(['targetGroupArn'], `must be in account ${config.account}, ${config.region}, as the stack is`);
      svc.taskRoleArns.forEach((role, i) => {
        if (role.split(':')[4] !== config.account)
          issue(['taskRoleArns', i], `must be a role of account ${config.account}, as the stack is`);
      });
      // Two names for one ECS service would take two locks for it: two runs at once.
      const ecsService = `${svc.cluster}/${svc.service}`;
      const other = seen.get(ecsService);
      if (other) issue(['service'], `${ecsService} is already configured as ${other}`);
      else seen.set(ecsService, `${envName}.${name}`);
      // A bake that watches no alarm only waits: it must say so.
      if (env.policy.bakeMinutes > 0 && svc.alarms.length === 0 && !env.policy.bakeWithoutAlarms)
        issue(
          ['alarms'],
          `${envName} bakes for ${env.policy.bakeMinutes} minutes: name the alarms it watches, or set policy.bakeWithoutAlarms`,
        );
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
export type CiConfig = NonNullable<Config['ci']>;

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
  const json = text.replace(/^\uFEFF/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`);
  }
  // JSON.parse keeps the last of two equal keys without a word: a second "prod" would silently
  // replace the first environment.
  const duplicates = duplicateKeys(json);
  if (duplicates.length > 0)
    throw new ConfigError(
      `${path} is invalid: ${duplicates.map((d) => `${d.path}: '${d.key}' appears twice (line ${d.line})`).join('; ')}`,
    );
  return parseConfig(raw, path);
}

/** Keys that appear twice in the same object of a JSON text, with where. */
export function duplicateKeys(json: string): { path: string; key: string; line: number }[] {
  const found: { path: string; key: string; line: number }[] = [];
  const open: Set<string>[] = [];
  visit(json, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, _offset, _length, line, _column, path) => {
      const keys = open[open.length - 1];
      if (keys?.has(key)) found.push({ path: path().join('.') || '(config)', key, line: line + 1 });
      keys?.add(key);
    },
  });
  return found;
}

/** The name of the CI role the stack makes (config `ci`). */
export const ciRoleNameOf = (config: Pick<Config, 'ci' | 'stackName'>) =>
  config.ci?.roleName ?? `${config.stackName}-ci`;

/** The part of the config the validation workers resolve inputs against (embedded in the definitions). */
export function catalogueOf(config: Config): Catalogue {
  // The CI role the stack makes is a CI principal: the approval rules never take it as an approver.
  const ciRole = config.ci && `arn:aws:sts::${config.account}:assumed-role/${ciRoleNameOf(config)}/*`;
  return {
    account: config.account,
    region: config.region,
    ciPrincipals: [...new Set([...config.ciPrincipals, ...(ciRole ? [ciRole] : [])])],
    environments: config.environments,
  };
}
