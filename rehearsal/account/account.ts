// The simulated AWS account: a registry of simulated services (service.ts) on one simulated clock. It
// answers the same SDK commands as AWS with the same response shapes, through real SDK clients (see
// clients.ts), authorizes each call against the policies of the role making it, applies the
// scenario's throttling, and records every change made to the environment.
import type { Config } from '../../infra/config.ts';
import type { Principal } from '../definitions.ts';
import { ACCESS_DENIED, denied } from '../iam/authorize.ts';
import { type CallEnv, needsOf, requestsOf } from '../iam/requests.ts';
import { type AutoScalingFaults, SimulatedAutoScaling } from './autoscaling.ts';
import { SimulatedClock } from './clock.ts';
import { type CloudTrailFaults, SimulatedCloudTrail } from './cloudtrail.ts';
import { type CloudWatchFaults, SimulatedCloudWatch } from './cloudwatch.ts';
import { SimulatedDynamoDb } from './dynamodb.ts';
import { type Ec2Faults, SimulatedEc2 } from './ec2.ts';
import { type EcsFaults, SimulatedEcs } from './ecs.ts';
import { type ElbFaults, SimulatedElb } from './elb.ts';
import { awsError } from './errors.ts';
import { type LogsFaults, SimulatedLogs } from './logs.ts';
import { Moments } from './moments.ts';
import { type RdsFaults, SimulatedRds } from './rds.ts';
import { SimulatedS3 } from './s3.ts';
import type { AwsService, SimulatedService } from './service.ts';
import { SimulatedSfn } from './sfn.ts';
import { SimulatedSns } from './sns.ts';

/** A mutating call made to the environment (ECS, RDS, ...); the runbook's own table and topic are bookkeeping. */
export interface Change {
  readonly service: AwsService;
  readonly action: string;
  readonly target: string;
  readonly detail: string;
  /** Seconds since the rehearsal started. */
  readonly at: number;
}

/** The event source CloudTrail records each service's calls under. */
const EVENT_SOURCES: Record<AwsService, string> = {
  ecs: 'ecs.amazonaws.com',
  elb: 'elasticloadbalancing.amazonaws.com',
  rds: 'rds.amazonaws.com',
  cloudwatch: 'monitoring.amazonaws.com',
  sns: 'sns.amazonaws.com',
  dynamodb: 'dynamodb.amazonaws.com',
  sfn: 'states.amazonaws.com',
  cloudtrail: 'cloudtrail.amazonaws.com',
  s3: 's3.amazonaws.com',
  ec2: 'ec2.amazonaws.com',
  logs: 'logs.amazonaws.com',
  autoscaling: 'application-autoscaling.amazonaws.com',
};

/** Bursts of ThrottlingException: every `everySeconds`, the matching calls fail for `forSeconds`. */
export interface ThrottlingFaults {
  /** The calls throttled, matched against `service:Command`. */
  readonly calls: RegExp;
  readonly everySeconds: number;
  readonly forSeconds: number;
}

/** An AWS side that is down: every matching call fails with this error, for the whole rehearsal or its first `times` calls. */
export interface OutageFaults {
  /** The calls that fail, matched against `service:Command`. */
  readonly calls: RegExp;
  /** Of those, only the ones whose input this accepts. */
  readonly only?: (input: Record<string, unknown>) => boolean;
  /** Only this many of them fail; the service is back afterwards. @default every one */
  readonly times?: number;
  readonly error: string;
  readonly message: string;
  /** The call is carried out and its answer lost on the way back (a timeout), rather than refused. */
  readonly afterTheCall?: boolean;
}

/** How a scenario makes the account misbehave, service by service. */
export interface AccountFaults {
  readonly outage?: OutageFaults;
  readonly ecs?: EcsFaults;
  readonly elb?: ElbFaults;
  readonly rds?: RdsFaults;
  readonly cloudwatch?: CloudWatchFaults;
  readonly ec2?: Ec2Faults;
  readonly logs?: LogsFaults;
  readonly autoscaling?: AutoScalingFaults;
  readonly cloudtrail?: CloudTrailFaults;
  readonly throttling?: ThrottlingFaults;
  /** Step Functions throttles this many StartExecution calls of nested executions before one goes through. */
  readonly throttledNestedStarts?: number;
  /** A worker's function dies (after its calls were made) this many times: a timeout, say. */
  readonly workerDies?: {
    readonly worker: string;
    readonly error: 'Sandbox.Timedout' | 'Runtime.OutOfMemory';
    readonly times: number;
  };
}

export interface AccountOptions {
  readonly config: Config;
  readonly faults: AccountFaults;
  /** The runbook's run-state table, as the synthesized definitions name it. */
  readonly table: string;
  /** The KMS key of each encrypted topic (publishing to one needs the key too). */
  readonly topicKeys?: Readonly<Record<string, string>>;
  readonly start?: Date;
}

/** The account's services, seeded from the config, in the order their reports appear in its state. */
function simulatedServices(
  { config, faults, table }: AccountOptions,
  clock: SimulatedClock,
  moments: Moments,
) {
  const now = () => clock.now().getTime();
  const elb = new SimulatedElb(config, faults.elb, now);
  const ecs = new SimulatedEcs(config, faults.ecs, now, elb, moments);
  const rds = new SimulatedRds(config, faults.rds, now);
  return [
    ecs,
    elb,
    rds,
    new SimulatedCloudWatch(config, faults.cloudwatch, ecs, rds, elb, moments, now),
    new SimulatedDynamoDb(table),
    new SimulatedSns(clock, { region: config.region, account: config.account }),
    new SimulatedSfn(),
    new SimulatedCloudTrail(clock, faults.cloudtrail),
    new SimulatedS3(),
    new SimulatedEc2(config, faults.ec2),
    new SimulatedLogs(config, faults.logs, now),
    new SimulatedAutoScaling(config, faults.autoscaling, ecs, moments, now),
  ] as const;
}

type Services = ReturnType<typeof simulatedServices>;

/** The reports of a list of services, merged into one object. */
type Reports<T extends readonly SimulatedService[]> = T extends readonly [
  infer Head extends SimulatedService,
  ...infer Rest extends readonly SimulatedService[],
]
  ? ReturnType<Head['report']> & Reports<Rest>
  : unknown;

export type AccountState = Reports<Services>;

export class SimulatedAccount {
  readonly clock: SimulatedClock;
  readonly changes: Change[] = [];
  /** What really happened to the environment, and when (moments.ts). */
  readonly moments: Moments;
  /** Calls made by the stack's functions (as their roles), answered or refused: what a worker's run time is spent on. */
  workerCalls = 0;
  private readonly services: Services;
  private readonly throttling: ThrottlingFaults | undefined;
  private readonly outage: OutageFaults | undefined;
  private nestedStartsToThrottle: number;
  private readonly workerFault: AccountFaults['workerDies'];
  private outagesLeft: number;

  private workerDeaths: number;

  /** How this invocation of the worker dies, if the scenario says it does; null when it answers. */
  workerDies(worker: string): 'Sandbox.Timedout' | 'Runtime.OutOfMemory' | null {
    const fault = this.workerFault;
    if (!fault || fault.worker !== worker || this.workerDeaths <= 0) return null;
    this.workerDeaths--;
    return fault.error;
  }

  /** Whether Step Functions throttles this start of a nested execution (StepFunctions.ThrottlingException). */
  throttlesNestedStart(): boolean {
    if (this.nestedStartsToThrottle <= 0) return false;
    this.nestedStartsToThrottle--;
    return true;
  }

  /** What the account's calls are authorized in: its region and account, and what of its state ARNs name. */
  readonly callEnv: CallEnv;

  constructor(options: AccountOptions) {
    this.clock = new SimulatedClock(options.start ?? new Date(Math.floor(Date.now() / 1000) * 1000));
    this.moments = new Moments(this.clock);
    this.services = simulatedServices(options, this.clock, this.moments);
    this.throttling = options.faults.throttling;
    this.outage = options.faults.outage;
    this.nestedStartsToThrottle = options.faults.throttledNestedStarts ?? 0;
    this.outagesLeft = options.faults.outage?.times ?? Number.POSITIVE_INFINITY;
    this.workerFault = options.faults.workerDies;
    this.workerDeaths = options.faults.workerDies?.times ?? 0;
    const topicKeys = options.topicKeys ?? {};
    this.callEnv = {
      region: options.config.region,
      account: options.config.account,
      nextRevision: (family) => this.service('ecs').nextRevision(family),
      topicKey: (topicArn) => (Object.hasOwn(topicKeys, topicArn) ? topicKeys[topicArn] : undefined),
      taskDefinitionRoles: (taskDefinition) => {
        // One ECS does not know is refused by ECS itself, after authorization.
        const found = [...this.service('ecs').taskDefinitions.values()].some(
          (t) => t.arn === taskDefinition || taskDefinition.endsWith(`${t.family}:${t.revision}`),
        );
        if (!found) return [];
        const td = this.service('ecs').resolveTaskDefinition(taskDefinition);
        return [td.taskRoleArn, td.executionRoleArn].filter((r): r is string => Boolean(r));
      },
      snapshotTags: (snapshotId) => this.service('rds').tagsOf(snapshotId),
      scalableTargetId: (resourceId) => this.service('autoscaling').idOf(resourceId),
    };
    const services: readonly SimulatedService[] = this.services;
    this.clock.onTick((t) => {
      for (const service of services) service.tick?.(t);
    });
  }

  /** The simulated service of that name, to seed or inspect it directly. */
  service<N extends AwsService>(name: N): Extract<Services[number], { name: N }> {
    const found = this.services.find((s) => s.name === name);
    if (!found) throw new Error(`the simulated account has no service ${name}`);
    return found as Extract<Services[number], { name: N }>;
  }

  /**
   * Answers one SDK command. Called by the simulated clients' middleware, with the role the call is
   * made as: authorized against its policies first, as AWS does. Without one, the caller is the
   * rehearsal itself (reading or arranging the account, as an administrator would).
   */
  handle(
    service: AwsService,
    command: string,
    input: Record<string, unknown>,
    principal?: Principal,
  ): unknown {
    const api = `${service}:${command}`;
    if (principal) {
      this.workerCalls++;
      const requests = requestsOf(needsOf(service, command, input, this.callEnv), this.callEnv);
      const refusal = denied(principal, requests);
      if (refusal) {
        // An encrypted topic's key refused: SNS answers with its own code.
        const code =
          service === 'sns' && / kms:/.test(refusal) ? 'KMSAccessDeniedException' : ACCESS_DENIED[service];
        throw awsError(code ?? 'AccessDeniedException', refusal, {
          $metadata: { httpStatusCode: 403, attempts: 1, totalRetryDelay: 0 },
        });
      }
    }
    if (this.throttled(api)) throw awsError('ThrottlingException', 'Rate exceeded');
    const out = this.outage?.calls.test(api) && (this.outage.only?.(input) ?? true) && this.outagesLeft > 0;
    if (out) this.outagesLeft--;
    if (out && !this.outage?.afterTheCall)
      throw awsError(this.outage?.error ?? '', this.outage?.message ?? '');
    const unit: SimulatedService | undefined = this.services.find((s) => s.name === service);
    const answer = unit && Object.hasOwn(unit.commands, command) ? unit.commands[command] : undefined;
    if (!unit || !answer)
      throw awsError('UnknownOperationException', `the simulated account does not implement ${api}`);
    const output = answer(input as never);
    const describe = unit.changes && Object.hasOwn(unit.changes, command) ? unit.changes[command] : undefined;
    if (describe) {
      this.changes.push({
        service,
        action: command,
        ...describe(input as never, output as never),
        at: this.clock.elapsedSeconds(),
      });
      this.service('cloudtrail').record({
        eventSource: EVENT_SOURCES[service],
        eventName: command,
        arn: principal?.arn ?? `arn:aws:sts::${this.callEnv.account}:assumed-role/rehearsal/rehearsal`,
        requestParameters: input,
      });
    }
    if (out) throw awsError(this.outage?.error ?? '', this.outage?.message ?? '');
    return output;
  }

  private throttled(api: string): boolean {
    const t = this.throttling;
    if (!t?.calls.test(api)) return false;
    return this.clock.elapsedSeconds() % t.everySeconds < t.forSeconds;
  }

  /** The account's final state, as `runbook rehearse --json` reports it: each service's report in turn. */
  state(): AccountState {
    return Object.assign({}, ...this.services.map((s) => s.report()));
  }
}
