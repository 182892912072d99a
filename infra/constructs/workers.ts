// The Lambda task workers: one function per worker the state machines use, bundled locally with
// esbuild (no Docker), each with only the permissions its AWS calls need (infra/grants/).
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Worker } from '../../tasks/worker.ts';
import { type GrantContext, grantActions } from '../grants/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type WorkersProps = GrantContext;

/**
 * How each worker is bundled (esbuild, by NodejsFunction): minified, for the runtime's Node.js, the
 * AWS SDK v3 left out (the Lambda runtime has it). `npm run bench` measures the bundles with these.
 */
export const WORKER_BUNDLING = {
  minify: true,
  target: 'node24',
  externalModules: ['@aws-sdk/*'],
};

export class Workers extends Construct {
  private readonly functions = new Map<string, { worker: Worker; fn: nodejs.NodejsFunction }>();

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
    const fn = new nodejs.NodejsFunction(this, worker.name, {
      description: `runbook worker: ${worker.name}`,
      entry: fileURLToPath(worker.entry),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
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
      bundling: {
        ...WORKER_BUNDLING,
        sourceMap: true,
        // A worker names its own module (import.meta.url) for the stack; in the CommonJS bundle that is
        // empty, and nothing at run time reads it.
        esbuildArgs: { '--log-override:empty-import-meta': 'silent' },
      },
    });
    // Tracing needs xray:PutTraceSegments and friends, which have no resource-level permissions; any
    // other '*' is acknowledged by the grant that writes it (infra/grants/), with its own reason.
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing of the worker needs xray:PutTraceSegments and friends, which have no resource-level permissions.',
    });
    grantActions(fn, worker.actions, this.props);
    this.functions.set(worker.name, { worker, fn });
    return fn;
  }

  /** Every worker that has a function, by name. */
  get workers(): ReadonlyMap<string, Worker> {
    return new Map([...this.functions].map(([name, { worker }]) => [name, worker]));
  }
}
