// The Lambda task workers: one function per worker the state machines use, bundled locally with
// esbuild (no Docker: worker-bundles.ts), each with only the permissions its AWS calls need (infra/grants/).
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Worker } from '../../tasks/worker.ts';
import { type GrantContext, grantActions } from '../grants/index.ts';
import { workerCode } from './worker-bundles.ts';

export type WorkersProps = GrantContext;

export class Workers extends Construct {
  private readonly functions = new Map<string, { worker: Worker; fn: lambda.Function }>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: WorkersProps,
  ) {
    super(scope, id);
    const ack = (finding: string, reason: string) =>
      Validations.of(this).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
    ack(
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The managed basic execution role only lets each worker write its own CloudWatch Logs.',
    );
  }

  /** The function of a worker, made on first use. */
  fn(worker: Worker): lambda.IFunction {
    const known = this.functions.get(worker.name);
    if (known) {
      if (known.worker !== worker) throw new Error(`two workers are named ${worker.name}`);
      return known.fn;
    }
    const logGroup = new logs.LogGroup(this, `${worker.name}-logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const fn = new lambda.Function(this, worker.name, {
      description: `runbook worker: ${worker.name}`,
      code: workerCode(worker.entry),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Below the Task's 30 s timeout, so the function's own error reaches the state machine first.
      timeout: Duration.seconds(25),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      // Workers get the table in their payload; a function API Gateway invokes (approval-api) has only this.
      environment: { RUNBOOK_TABLE: this.props.table.tableName },
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    // Tracing needs xray:PutTraceSegments and friends, which have no resource-level permissions; any
    // other '*' is acknowledged by the grant that writes it (infra/grants/), with its own reason.
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing of the worker needs xray:PutTraceSegments and friends, which have no resource-level permissions.',
    });
    grantActions(fn, worker.actions, this.props, worker.everyResource);
    this.functions.set(worker.name, { worker, fn });
    return fn;
  }

  /** Every worker that has a function, by name. */
  get workers(): ReadonlyMap<string, Worker> {
    return new Map([...this.functions].map(([name, { worker }]) => [name, worker]));
  }
}
