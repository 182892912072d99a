// Where the run commands act: a Step Functions API (AWS, or `runbook local` with --endpoint) chosen
// by --endpoint, --region, --profile and the usual AWS environment (AWS_REGION, AWS_PROFILE,
// AWS_ENDPOINT_URL_SFN, ...), and the state machines of the config's stack found there by name.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Config } from '../infra/config.ts';
import type { ProcedureSpec } from '../statemachines/procedure.ts';
import { stateMachineName } from '../statemachines/procedure.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { printable } from '../tasks/printable.ts';
import { UsageError } from './usage.ts';

export interface WhereOptions {
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** The run could not be found or reached (exit 1): nothing was started or stopped. */
export class WhereError extends Error {
  override readonly name = 'WhereError';
}

const isLoopback = (url: string) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

export interface Where {
  readonly sfn: SFNClient;
  /** The endpoint given, if any (the local endpoint serves the approvals API beside it). */
  readonly endpoint: string | null;
  readonly region: string;
}

export function whereOf(options: WhereOptions, config: Config): Where {
  const endpoint = options.endpoint ?? null;
  if (endpoint !== null && !/^https?:\/\/[^\s/]+/.test(endpoint))
    throw new UsageError(`--endpoint: '${printable(endpoint)}' is not an http(s) URL`);
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? config.region;
  // The local endpoint takes any signature: without credentials of your own, it is signed as "local".
  const local =
    endpoint !== null && isLoopback(endpoint) && !options.profile && !process.env.AWS_ACCESS_KEY_ID;
  const sfn = new SFNClient({
    region,
    ...(endpoint !== null && { endpoint }),
    credentials: local
      ? { accessKeyId: 'local', secretAccessKey: 'local' }
      : fromNodeProviderChain({ ...(options.profile && { profile: options.profile }) }),
    // A follow that cannot reach the API says so soon, rather than retrying for minutes.
    maxAttempts: 4,
  });
  return { sfn, endpoint, region };
}

const whereText = (where: Where) => where.endpoint ?? `AWS (${where.region})`;

/** Says what went wrong talking to the API, in words a CI log can act on. */
export function apiProblem(where: Where, error: unknown): WhereError {
  const e = error as Error & { code?: string };
  if (
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|fetch failed|socket hang up/i.test(
      `${e.message} ${e.code ?? ''}`,
    )
  ) {
    const hint = where.endpoint && isLoopback(where.endpoint) ? ' (is `runbook local` running?)' : '';
    return new WhereError(`cannot reach Step Functions at ${whereText(where)}: ${e.message}${hint}`);
  }
  return new WhereError(`Step Functions at ${whereText(where)} answered ${e.name}: ${printable(e.message)}`);
}

/** The ARN of each procedure's state machine in the stack, found by its name (paged ListStateMachines). */
export async function machines(where: Where, config: Config): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await where.sfn
      .send(new ListStateMachinesCommand({ ...(nextToken && { nextToken }) }))
      .catch((error: unknown) => {
        throw apiProblem(where, error);
      });
    for (const m of page.stateMachines ?? [])
      if (m.name && m.stateMachineArn) byName.set(m.name, m.stateMachineArn);
    nextToken = page.nextToken;
  } while (nextToken);
  const found = new Map<string, string>();
  for (const p of PROCEDURES) {
    const arn = byName.get(stateMachineName(p, config.stackName));
    if (arn) found.set(p.name, arn);
  }
  return found;
}

export async function machineOf(where: Where, config: Config, procedure: ProcedureSpec): Promise<string> {
  const arn = (await machines(where, config)).get(procedure.name);
  if (!arn)
    throw new WhereError(
      `no state machine ${stateMachineName(procedure, config.stackName)} at ${whereText(where)}: deploy the stack ${config.stackName}, or start \`runbook local\` and give --endpoint`,
    );
  return arn;
}

/** A run named by its ARN, or by its name (looked for among the stack's machines). */
export async function findRun(
  where: Where,
  config: Config,
  run: string,
): Promise<DescribeExecutionCommandOutput> {
  const describe = (executionArn: string) =>
    where.sfn.send(new DescribeExecutionCommand({ executionArn })).catch((error: Error) => {
      if (error.name === 'ExecutionDoesNotExist') return null;
      throw apiProblem(where, error);
    });
  if (run.startsWith('arn:')) {
    const found = await describe(run);
    if (!found) throw new WhereError(`no execution ${printable(run)} at ${whereText(where)}`);
    return found;
  }
  for (const arn of (await machines(where, config)).values()) {
    const found = await describe(`${arn.replace(':stateMachine:', ':execution:')}:${run}`);
    if (found) return found;
  }
  throw new WhereError(
    `no execution named ${printable(run)} of the ${config.stackName} stack's machines at ${whereText(where)}`,
  );
}

/** The procedure an execution belongs to, from its state machine's name. */
export function procedureOfRun(stateMachineArn: string | undefined, config: Config): string {
  const name = stateMachineArn?.split(':').pop() ?? '';
  return PROCEDURES.find((p) => stateMachineName(p, config.stackName) === name)?.name ?? name;
}
