// Resolving an input against the catalogue: shared by the validation workers and the CLI.
import { createHash } from 'node:crypto';
import type { ApprovalRule } from './approvals/request.ts';
import { InvalidInput } from './errors.ts';
import {
  type Catalogue,
  type EnvironmentConfig,
  ImageDigest,
  type ImagePolicy,
  type ServiceConfig,
  type ServiceRef,
} from './schemas/catalogue.ts';
import type { Execution } from './schemas/execution.ts';
import type { Issue } from './schemas/issues.ts';

export type { Issue };

/** A configured entry of a record, by a name from input: only own keys, never `constructor` or `__proto__`. */
export const configured = <T>(record: Record<string, T>, name: string): T | undefined =>
  Object.hasOwn(record, name) ? record[name] : undefined;

/** Looks up a configured environment; the issue names the field. */
export function lookUpEnvironment(catalogue: Catalogue, environment: string, issues: Issue[]) {
  const env = configured(catalogue.environments, environment);
  if (!env)
    issues.push({
      path: 'environment',
      message: `'${environment}' is not configured (known: ${Object.keys(catalogue.environments).join(', ')})`,
    });
  return env;
}

/** Looks up environment and service (configured ones only); issues name the field. */
export function lookUpService(catalogue: Catalogue, environment: string, service: string, issues: Issue[]) {
  const env = lookUpEnvironment(catalogue, environment, issues);
  if (!env) return undefined;
  const svc = configured(env.services, service);
  if (!svc) {
    issues.push({
      path: 'service',
      message: `'${service}' is not configured in ${environment} (known: ${Object.keys(env.services).join(', ')})`,
    });
    return undefined;
  }
  return { env, svc };
}

/** Looks up environment and database (configured ones only); issues name the field. */
export function lookUpDatabase(catalogue: Catalogue, environment: string, database: string, issues: Issue[]) {
  const env = lookUpEnvironment(catalogue, environment, issues);
  if (!env) return undefined;
  const db = configured(env.databases, database);
  if (!db) {
    const known = Object.keys(env.databases);
    issues.push({
      path: 'database',
      message: `'${database}' is not configured in ${environment} (${known.length > 0 ? `known: ${known.join(', ')}` : 'it configures no database'})`,
    });
    return undefined;
  }
  // The services using it: those whose pre-deploy snapshot is of this instance (RDS ignores case).
  const users = Object.entries(env.services)
    .filter(([, svc]) => svc.database?.toLowerCase() === db.instance.toLowerCase())
    .map(([name, svc]) => ({ name, svc }));
  return { env, db, users };
}

/** A service's maintenance page as a service reference: in the service's own cluster unless it names another. */
/** The RDS instances of an environment, lower case: its databases and those its services use. */
export const instancesOf = (env: EnvironmentConfig): string[] => [
  ...new Set(
    [
      ...Object.values(env.databases).map((db) => db.instance),
      ...Object.values(env.services).flatMap((svc) => (svc.database ? [svc.database] : [])),
    ].map((id) => id.toLowerCase()),
  ),
];

export const maintenancePageOf = (svc: ServiceConfig): ServiceRef | null =>
  svc.maintenancePage
    ? { cluster: svc.maintenancePage.cluster ?? svc.cluster, service: svc.maintenancePage.service }
    : null;

/** A short, stable suffix from the execution id: the same run (and its redrive) names things the same way. */
export const runSuffix = (executionId: string) =>
  createHash('sha256').update(executionId).digest('hex').slice(0, 8);

export function snapshotIdFor(service: string, execution: Execution): string {
  const stamp = execution.startTime.replace(/[^0-9]/g, '').slice(0, 12);
  return `pre-deploy-${service}-${stamp}-${runSuffix(execution.id)}`;
}

export function issuesError(issues: Issue[]): InvalidInput {
  return new InvalidInput(`Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
}

/** A task definition given by ARN must live in the account and region the runbook manages. */
export function checkTaskDefinitionArn(catalogue: Catalogue, arn: string | undefined, issues: Issue[]): void {
  if (arn === undefined) return;
  const [, , , region, account] = arn.split(':');
  if (account !== catalogue.account || region !== catalogue.region) {
    issues.push({
      path: 'taskDefinition',
      message: `must belong to account ${catalogue.account} in ${catalogue.region}`,
    });
  }
}

/**
 * The execution a nested run says started it (AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, which Step
 * Functions sets) must be one of `parents` in this account and region: the only runs that may start
 * `procedure` as theirs.
 */
export function checkParent(
  catalogue: Catalogue,
  parents: readonly string[],
  procedure: string,
  parent: string | undefined,
  issues: Issue[],
): void {
  if (parent === undefined) return;
  const [prefix, partition, service, region, account, kind, machine, name, ...rest] = parent.split(':');
  const ok =
    prefix === 'arn' &&
    /^aws[a-z-]*$/.test(partition ?? '') &&
    service === 'states' &&
    region === catalogue.region &&
    account === catalogue.account &&
    kind === 'execution' &&
    parents.includes(machine ?? '') &&
    Boolean(name) &&
    rest.length === 0;
  if (!ok)
    issues.push({
      path: 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
      message:
        parents.length > 0
          ? `only an execution of ${parents.join(' or ')} in this account and region starts a ${procedure} as its parent`
          : `no procedure starts a ${procedure} as its parent`,
    });
}

/** A desired count must stay within the service's configured bounds. */
export function checkDesiredCount(
  bounds: { min: number; max: number },
  service: string,
  count: number | undefined,
  issues: Issue[],
): void {
  if (count !== undefined && (count < bounds.min || count > bounds.max)) {
    issues.push({
      path: 'desiredCount',
      message: `must be between ${bounds.min} and ${bounds.max} for ${service}`,
    });
  }
}

/** What is wrong with an image under a policy: not pinned by digest, or from a registry not allowed. */
export function imageProblems(image: string, policy: ImagePolicy): ('unpinned' | 'registry')[] {
  const problems: ('unpinned' | 'registry')[] = [];
  const pinned = ImageDigest.exec(image);
  if (policy.digestPinned && !pinned) problems.push('unpinned');
  const repository = pinned?.groups?.repository ?? image.replace(/:[^/:]*$/, '');
  if (
    !policy.allowedRegistries.some((registry) => repository.startsWith(`${registry.replace(/\/$/, '')}/`))
  ) {
    problems.push('registry');
  }
  return problems;
}

/** The words for an image problem, as the cause a person reads. */
export function describeImageProblem(
  problem: 'unpinned' | 'registry',
  where: { environment: string; service: string },
  policy: ImagePolicy,
): string {
  return problem === 'unpinned'
    ? `${where.environment} requires an image pinned by digest (<repository>@sha256:<64 hex>); a tag can move between approval and deploy`
    : `registry not allowed for ${where.service} (allowed: ${policy.allowedRegistries.join(', ')})`;
}

/** Who may decide a procedure's approvals in an environment: its own approvers and count, else the environment's. */
export function approvalRuleFor(
  catalogue: Catalogue,
  env: EnvironmentConfig,
  procedure: string,
): ApprovalRule {
  const own = configured(env.procedureApprovals, procedure);
  return {
    approvers: own?.approvers ?? env.approvers,
    required: own?.requiredApprovals ?? env.requiredApprovals,
    neverApprovers: catalogue.ciPrincipals,
  };
}
