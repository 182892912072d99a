// Simulated Step Functions: how the rehearsal's executions stand (DescribeExecution), and callbacks:
// the task tokens of the Tasks that wait for one
// (.waitForTaskToken), and what SendTaskSuccess / SendTaskFailure sent with them. As on AWS, a token
// is answered once, and only while its Task waits: afterwards (or for a token never issued) the call
// fails with TaskTimedOut / InvalidToken, and nothing is delivered.
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

export type Callback =
  | { readonly kind: 'success'; readonly output: unknown }
  | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

export class SimulatedSfn implements SimulatedService {
  readonly name = 'sfn';
  /** Tokens by state: waiting (undefined answer), answered, or retired (the Task no longer waits). */
  private readonly tokens = new Map<string, Callback | 'waiting' | 'retired'>();

  /** The rehearsal's executions, by ARN, and how they stand. */
  private readonly executions = new Map<string, string>();

  readonly commands = {
    DescribeExecution: (input: { executionArn?: string }) => {
      const status = this.executions.get(input.executionArn ?? '');
      if (!status)
        throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
      return { executionArn: input.executionArn, status };
    },
    SendTaskSuccess: (input: { taskToken?: string; output?: string }) => {
      this.answer(input.taskToken, { kind: 'success', output: JSON.parse(input.output ?? 'null') });
      return {};
    },
    SendTaskFailure: (input: { taskToken?: string; error?: string; cause?: string }) => {
      this.answer(input.taskToken, { kind: 'failure', error: input.error ?? '', cause: input.cause ?? '' });
      return {};
    },
  };

  /** An execution starts (RUNNING) or ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED). */
  execution(executionArn: string, status: string): void {
    this.executions.set(executionArn, status);
  }

  /** A Task starts waiting for this token. */
  issue(token: string): void {
    this.tokens.set(token, 'waiting');
  }

  /** Whether this account issued the token (the local endpoint finds the run a callback is for). */
  issued(token: string): boolean {
    return this.tokens.has(token);
  }

  /** Whether a Task waits on the token now (a heartbeat reaches it). */
  waiting(token: string): boolean {
    return this.tokens.get(token) === 'waiting';
  }

  /** Whether something was sent with the token (the Task it belongs to has its result). */
  answered(token: string): boolean {
    return typeof this.tokens.get(token) === 'object';
  }

  /** What was sent with the token, if anything; the Task stops waiting either way. */
  collect(token: string): Callback | null {
    const state = this.tokens.get(token);
    this.tokens.set(token, 'retired');
    return typeof state === 'object' ? state : null;
  }

  private answer(token: string | undefined, callback: Callback): void {
    const state = token === undefined ? undefined : this.tokens.get(token);
    if (state === undefined) throw awsError('InvalidToken', 'Invalid Token');
    if (state !== 'waiting') throw awsError('TaskTimedOut', 'Task Timed Out');
    this.tokens.set(token as string, callback);
  }

  report() {
    return {};
  }
}
