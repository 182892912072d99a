// What a worker is: a name, an input schema and one function that does one check or one change.
// The Lambda handler and the rehearsal both go through `invoke`, so both parse the same way.

import { type Clients, createClients } from './clients.ts';
import { InvalidInput } from './errors.ts';
import { describeIssues } from './schemas/issues.ts';
import type * as z from './zod.ts';

/** An IAM action, as the Service Authorization Reference names it. */
export type IamAction = `${string}:${string}`;

export interface Worker<S extends z.ZodType = z.ZodType, O = unknown> {
  /** kebab-case; the Lambda function and the rehearsal find the worker by it. */
  readonly name: string;
  /** The module exporting the Lambda `handler` (its import.meta.url); the stack bundles it. */
  readonly entry: string;
  /** The IAM actions its AWS calls need; the stack grants each on the resources the config names. */
  readonly actions: readonly IamAction[];
  /**
   * Of those, the ones it calls on every resource of their type in the account and region rather than
   * on those the config names (the health check reads every alarm in ALARM, as the runbook does).
   */
  readonly everyResource?: readonly IamAction[];
  readonly input: S;
  run(input: z.output<S>, clients: Clients): Promise<O>;
  /** A few words on what a run of it found or did, for a person following the run. */
  summarize?(output: O): string;
}

/** The last part of an ARN (prod-app:42 of a task definition's), for a person. */
export const lastPart = (arn: string | null | undefined) => String(arn).split('/').pop() ?? String(arn);

export function defineWorker<S extends z.ZodType, O>(worker: Worker<S, O>): Worker<S, O> {
  return worker;
}

/** Parses the event with the worker's schema, then runs it. */
export async function invoke<S extends z.ZodType, O>(
  worker: Worker<S, O>,
  event: unknown,
  clients: Clients,
): Promise<O> {
  const parsed = worker.input.safeParse(event);
  if (!parsed.success) throw new InvalidInput(`${worker.name}: ${describeIssues(parsed.error)}`);
  return worker.run(parsed.data, clients);
}

/** The Lambda entry point of a worker: real SDK clients, built once per container. */
export function lambdaHandler<S extends z.ZodType, O>(worker: Worker<S, O>): (event: unknown) => Promise<O> {
  let clients: Clients | undefined;
  return (event) => {
    clients ??= createClients();
    return invoke(worker, event, clients);
  };
}
