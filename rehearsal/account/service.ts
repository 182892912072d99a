// What a simulated AWS service is to the account: the commands it answers, which of them change the
// environment and how each is listed, how it moves on the clock, and what it reports in the state.
import type { Config } from '../../infra/config.ts';
import type { Clients } from '../../tasks/clients.ts';

/** An AWS service a worker can call: one per client the workers are given. */
export type AwsService = keyof Clients;

/** How a change appears in the rehearsal's `changes` list. */
export interface ChangeDescription {
  readonly target: string;
  readonly detail: string;
}

// The account hands each command its SDK input as it came; a handler declares the input shape it
// reads (and a change description the output it reads), which `never` parameters let it do.
type CommandHandler = (input: never) => unknown;
type DescribeChange = (input: never, output: never) => ChangeDescription;

export interface SimulatedService<Report extends object = object> {
  readonly name: AwsService;
  /** The commands it answers, by SDK command name without the `Command` suffix. */
  readonly commands: Readonly<Record<string, CommandHandler>>;
  /** The commands that change the environment, and how each is described once it succeeded. */
  readonly changes?: Readonly<Record<string, DescribeChange>>;
  /** Moves its resources on to this moment (ms since the epoch). */
  tick?(now: number): void;
  /** Its keys of the account's final state. */
  report(): Report;
}

/** Every service the config describes, environment by environment, in the config's order. */
export function* configuredServices(config: Config) {
  for (const [environment, env] of Object.entries(config.environments))
    for (const [key, svc] of Object.entries(env.services)) yield { environment, key, svc };
}
