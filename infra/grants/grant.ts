// What a grant by AWS service is: given a worker's function, the actions of that service its calls
// need, and the config, it adds the policy statements that allow exactly those on the configured
// resources, and acknowledges the cdk-nag findings its statements raise, with the reason.
import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Config } from '../config.ts';

export interface GrantContext {
  readonly config: Config;
  /** Locks, approvals and known-good records. */
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** The run archive (its functions only need it). */
  readonly archive?: s3.IBucket;
  /** Where snapshots are exported, when a database exports (infra/constructs/database-exports.ts). */
  readonly exports?: { readonly bucket: s3.IBucket; readonly key: kms.IKey; readonly role: iam.IRole };
}

/** Grants one AWS service's actions (e.g. ecs:DescribeServices) to a worker's function; throws on an action it does not know. */
export type Grant = (
  fn: lambda.Function,
  actions: readonly string[],
  context: GrantContext,
  /** Every action the worker declares, of any service: what a role it passes is for. */
  workerActions?: readonly string[],
  /** The actions it calls on every resource of their type (Worker.everyResource). */
  everyResource?: readonly string[],
) => void;

/** An action a grant does not know: the worker would fail on AWS with AccessDenied, so synth fails first. */
export function unknownAction(fn: lambda.Function, action: string): never {
  throw new Error(`no grant knows ${action} (needed by ${fn.node.id}): add it to infra/grants/`);
}

/** One statement of `actions` on `resources`; nothing when there is no resource to allow. */
export function allow(
  fn: lambda.Function,
  actions: readonly string[],
  resources: readonly string[],
  conditions?: Record<string, unknown>,
): void {
  if (actions.length === 0 || resources.length === 0) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [...actions],
      resources: [...resources],
      ...(conditions && { conditions }),
    }),
  );
}

/** Acknowledges a cdk-nag AwsSolutions finding on the function it concerns. */
export function acknowledge(fn: lambda.Function, finding: string, reason: string): void {
  Validations.of(fn).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
}

/** ARNs of this stack's account and region: arn(fn, 'ecs', 'service/c/s'). */
export function arn(fn: lambda.Function, service: string, resource: string): string {
  const { partition, region, account } = Stack.of(fn);
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** Every service the config manages, across environments. */
export const servicesOf = (config: Config) =>
  Object.values(config.environments).flatMap((env) => Object.values(env.services));

export const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
