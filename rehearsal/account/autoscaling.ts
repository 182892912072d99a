// Simulated Application Auto Scaling of ECS services: scalable targets (a service's desired count
// between a minimum and a maximum) with a target-tracking policy that keeps the count where the load
// needs it, within those bounds. A scenario gives the first configured service one; the account has
// none otherwise. The scaler sets the service's desired count itself (as AWS does, by UpdateService
// under its service-linked role): that is a moment of the account's record, not a change of ours.
//
// Where the documentation gives no figure, the pessimistic reading: the scaler moves a count it does
// not want after SCALER_SECONDS, in either direction (AWS's scale-in alarms take about 15 minutes,
// its scale-out ones about 3), so that a scale it would undo is undone within a run's wait.
import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config.ts';
import type { SimulatedEcs } from './ecs.ts';
import { awsError } from './errors.ts';
import type { Moments } from './moments.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** How a scenario sets up a service's auto scaling. */
export interface AutoScalingFaults {
  /** The first configured service's scalable target, with a target-tracking policy on its CPU (at 60 % unless it says). */
  readonly scalableTarget?: {
    readonly min: number;
    readonly max: number;
    readonly cpuTargetPercent?: number;
    /** Its policy never scales in (someone set it so by hand). */
    readonly disableScaleIn?: boolean;
  };
  /** The count the load needs, which the policy keeps the service at within the bounds. @default its count when the rehearsal starts */
  readonly loadNeeds?: number;
}

/** Seconds after which the scaler moves a desired count it does not want. */
export const SCALER_SECONDS = 60;
const ECS = 'ecs';
const DESIRED_COUNT = 'ecs:service:DesiredCount';
/** ECS's predefined metrics a target-tracking policy may track. */
const PREDEFINED = new Set([
  'ECSServiceAverageCPUUtilization',
  'ECSServiceAverageMemoryUtilization',
  'ALBRequestCountPerTarget',
]);
/** Targets one DescribeScalableTargets page holds at most (the API's MaxResults limit). */
const MAX_RESULTS = 50;

interface SimTarget {
  readonly id: string;
  readonly resourceId: string;
  min: number;
  max: number;
  readonly createdAt: Date;
  suspended: { in: boolean; out: boolean; scheduled: boolean };
  readonly policies: SimPolicy[];
  /** When the service's count first differed from what the scaler wants (ms), or null. */
  unwantedSince: number | null;
}

interface SimPolicy {
  name: string;
  targetValue: number;
  metric: string;
  scaleInCooldown: number;
  scaleOutCooldown: number;
  disableScaleIn: boolean;
}

/** What of an Application Auto Scaling request the simulation reads. */
interface TargetInput {
  ServiceNamespace?: string;
  ResourceId?: string;
  ResourceIds?: string[];
  ScalableDimension?: string;
  MinCapacity?: number;
  MaxCapacity?: number;
  SuspendedState?: {
    DynamicScalingInSuspended?: boolean;
    DynamicScalingOutSuspended?: boolean;
    ScheduledScalingSuspended?: boolean;
  };
  MaxResults?: number;
  NextToken?: string;
  PolicyName?: string;
  PolicyNames?: string[];
  PolicyType?: string;
  TargetTrackingScalingPolicyConfiguration?: {
    TargetValue?: number;
    PredefinedMetricSpecification?: { PredefinedMetricType?: string };
    ScaleInCooldown?: number;
    ScaleOutCooldown?: number;
    DisableScaleIn?: boolean;
  };
}

export class SimulatedAutoScaling implements SimulatedService {
  readonly name = 'autoscaling';
  readonly targets = new Map<string, SimTarget>();
  private readonly region: string;
  private readonly account: string;
  private readonly loadNeeds: number | undefined;
  /** The count each service had when the rehearsal started: what the load needs unless a scenario says. */
  private readonly startingCount = new Map<string, number>();

  readonly commands = {
    DescribeScalableTargets: (input: TargetInput) => this.describeScalableTargets(input),
    RegisterScalableTarget: (input: TargetInput) => this.registerScalableTarget(input),
    DescribeScalingPolicies: (input: TargetInput) => this.describeScalingPolicies(input),
    PutScalingPolicy: (input: TargetInput) => this.putScalingPolicy(input),
    DeleteScalingPolicy: (input: TargetInput) => this.deleteScalingPolicy(input),
    DeregisterScalableTarget: (input: TargetInput) => this.deregisterScalableTarget(input),
  };

  readonly changes = {
    RegisterScalableTarget: (input: TargetInput) => ({
      target: input.ResourceId ?? '',
      detail: `scalable target min ${input.MinCapacity ?? 'kept'}, max ${input.MaxCapacity ?? 'kept'}`,
    }),
    PutScalingPolicy: (input: TargetInput) => ({
      target: input.ResourceId ?? '',
      detail: `policy ${input.PolicyName}: ${input.PolicyType} at ${input.TargetTrackingScalingPolicyConfiguration?.TargetValue}`,
    }),
    DeleteScalingPolicy: (input: TargetInput) => ({
      target: input.ResourceId ?? '',
      detail: `policy ${input.PolicyName} deleted`,
    }),
    DeregisterScalableTarget: (input: TargetInput) => ({
      target: input.ResourceId ?? '',
      detail: 'scalable target deregistered',
    }),
  };

  constructor(
    config: Config,
    faults: AutoScalingFaults | undefined,
    private readonly ecs: SimulatedEcs,
    private readonly moments: Moments,
    private readonly now: () => number,
  ) {
    this.region = config.region;
    this.account = config.account;
    this.loadNeeds = faults?.loadNeeds;
    for (const service of ecs.services.values())
      this.startingCount.set(`service/${service.cluster}/${service.name}`, service.desiredCount);
    const [first] = configuredServices(config);
    if (first && faults?.scalableTarget) {
      const resourceId = `service/${first.svc.cluster}/${first.svc.service}`;
      this.targets.set(resourceId, {
        ...this.newTarget(resourceId, faults.scalableTarget.min, faults.scalableTarget.max),
        policies: [
          {
            name: 'runbook-target-tracking',
            targetValue: faults.scalableTarget.cpuTargetPercent ?? 60,
            metric: 'ECSServiceAverageCPUUtilization',
            scaleInCooldown: 300,
            scaleOutCooldown: 60,
            disableScaleIn: faults.scalableTarget.disableScaleIn ?? false,
          },
        ],
      });
    }
  }

  /** The opaque id AWS gives a scalable target (its ARN ends in it): the same for the same resource here. */
  idOf(resourceId: string): string {
    return (
      this.targets.get(resourceId)?.id ?? createHash('sha256').update(resourceId).digest('hex').slice(0, 36)
    );
  }

  private newTarget(resourceId: string, min: number, max: number): SimTarget {
    return {
      id: this.idOf(resourceId),
      resourceId,
      min,
      max,
      createdAt: new Date(this.now()),
      suspended: { in: false, out: false, scheduled: false },
      policies: [],
      unwantedSince: null,
    };
  }

  private arnOf(target: SimTarget): string {
    return `arn:aws:application-autoscaling:${this.region}:${this.account}:scalable-target/${target.id}`;
  }

  /** The ECS service a resource id names (service/<cluster>/<service>), if ECS has it. */
  private serviceOf(resourceId: string) {
    const [kind, cluster, name, ...rest] = resourceId.split('/');
    if (kind !== 'service' || !cluster || !name || rest.length > 0) return undefined;
    return this.ecs.services.get(`${cluster}/${name}`);
  }

  private checkNamespace(input: TargetInput): void {
    if (input.ServiceNamespace === undefined)
      throw awsError('ValidationException', '1 validation error detected: ServiceNamespace must not be null');
    if (
      input.ScalableDimension !== undefined &&
      input.ServiceNamespace === ECS &&
      input.ScalableDimension !== DESIRED_COUNT
    )
      throw awsError(
        'ValidationException',
        `Unsupported scalable dimension ${input.ScalableDimension} for service namespace ecs`,
      );
  }

  /** As the API answers it: the namespace required, at most 50 ids, MaxResults 1 to 50, in pages behind NextToken. */
  describeScalableTargets(input: TargetInput) {
    this.checkNamespace(input);
    if ((input.ResourceIds?.length ?? 0) > 50)
      throw awsError('ValidationException', 'ResourceIds must contain at most 50 entries');
    const size = input.MaxResults ?? MAX_RESULTS;
    if (size < 1 || size > MAX_RESULTS)
      throw awsError('ValidationException', 'MaxResults must be between 1 and 50');
    const matching =
      input.ServiceNamespace === ECS
        ? [...this.targets.values()].filter(
            (t) => input.ResourceIds === undefined || input.ResourceIds.includes(t.resourceId),
          )
        : [];
    const start = Number(input.NextToken ?? 0);
    if (!Number.isInteger(start) || start < 0)
      throw awsError('InvalidNextTokenException', 'The next token is invalid.');
    const page = matching.slice(start, start + size);
    const next = start + page.length;
    return {
      ScalableTargets: page.map((t) => ({
        ServiceNamespace: ECS,
        ResourceId: t.resourceId,
        ScalableDimension: DESIRED_COUNT,
        MinCapacity: t.min,
        MaxCapacity: t.max,
        RoleARN: `arn:aws:iam::${this.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        CreationTime: t.createdAt,
        SuspendedState: {
          DynamicScalingInSuspended: t.suspended.in,
          DynamicScalingOutSuspended: t.suspended.out,
          ScheduledScalingSuspended: t.suspended.scheduled,
        },
        ScalableTargetARN: this.arnOf(t),
      })),
      ...(next < matching.length && { NextToken: String(next) }),
    };
  }

  /**
   * As the API does it: a new target needs both capacities, an update may give either; the minimum
   * never above the maximum; an ECS service that does not exist is refused. Moving the bounds past
   * the service's count makes the scaler bring the count inside them.
   */
  registerScalableTarget(input: TargetInput) {
    this.checkNamespace(input);
    if (input.ServiceNamespace !== ECS || input.ScalableDimension !== DESIRED_COUNT)
      throw awsError('ValidationException', 'the simulated account scales only ecs:service:DesiredCount');
    const resourceId = input.ResourceId ?? '';
    if (!this.serviceOf(resourceId))
      throw awsError('ValidationException', `ECS service doesn't exist: ${resourceId}`);
    const existing = this.targets.get(resourceId);
    if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined))
      throw awsError(
        'ValidationException',
        'MinCapacity and MaxCapacity are required to register a new scalable target',
      );
    const min = input.MinCapacity ?? existing?.min ?? 0;
    const max = input.MaxCapacity ?? existing?.max ?? 0;
    if (min < 0 || max < 0) throw awsError('ValidationException', 'Capacities must not be negative');
    if (min > max)
      throw awsError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
    const target = existing ?? this.newTarget(resourceId, min, max);
    target.min = min;
    target.max = max;
    if (input.SuspendedState) {
      const s = input.SuspendedState;
      target.suspended = {
        in: s.DynamicScalingInSuspended ?? target.suspended.in,
        out: s.DynamicScalingOutSuspended ?? target.suspended.out,
        scheduled: s.ScheduledScalingSuspended ?? target.suspended.scheduled,
      };
    }
    this.targets.set(resourceId, target);
    // The API reference: new bounds that leave the current capacity outside them bring it inside at once.
    const service = this.serviceOf(resourceId);
    if (service && (service.desiredCount < min || service.desiredCount > max)) {
      const from = service.desiredCount;
      const to = Math.min(max, Math.max(min, from));
      this.ecs.updateService({ cluster: service.cluster, service: service.name, desiredCount: to });
      this.moments.record({ kind: 'scaled', service: `${service.cluster}/${service.name}`, from, to });
    }
    return { ScalableTargetARN: this.arnOf(target) };
  }

  describeScalingPolicies(input: TargetInput) {
    this.checkNamespace(input);
    const targets = [...this.targets.values()].filter(
      (t) =>
        input.ServiceNamespace === ECS &&
        (input.ResourceId === undefined || t.resourceId === input.ResourceId),
    );
    if ((input.PolicyNames?.length ?? 0) > 50)
      throw awsError('ValidationException', 'PolicyNames must contain at most 50 entries');
    const wanted = (p: SimPolicy) => input.PolicyNames === undefined || input.PolicyNames.includes(p.name);
    return {
      ScalingPolicies: targets.flatMap((t) =>
        t.policies.filter(wanted).map((p) => ({
          PolicyName: p.name,
          PolicyARN: `arn:aws:autoscaling:${this.region}:${this.account}:scalingPolicy:${t.id}:resource/ecs/${t.resourceId}:policyName/${p.name}`,
          ServiceNamespace: ECS,
          ResourceId: t.resourceId,
          ScalableDimension: DESIRED_COUNT,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: p.targetValue,
            PredefinedMetricSpecification: { PredefinedMetricType: p.metric },
            ScaleInCooldown: p.scaleInCooldown,
            ScaleOutCooldown: p.scaleOutCooldown,
            DisableScaleIn: p.disableScaleIn,
          },
          CreationTime: t.createdAt,
        })),
      ),
    };
  }

  /** The target of a request, or ObjectNotFoundException as the API answers for one not registered. */
  private registered(input: TargetInput): SimTarget {
    this.checkNamespace(input);
    const target = input.ServiceNamespace === ECS ? this.targets.get(input.ResourceId ?? '') : undefined;
    if (!target)
      throw awsError(
        'ObjectNotFoundException',
        `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`,
      );
    return target;
  }

  /**
   * As the API does it: on a registered target only; target tracking needs its configuration with a
   * target value and, here, one of ECS's predefined metrics (customized metrics are not modelled); a
   * policy of the same name is replaced.
   */
  putScalingPolicy(input: TargetInput) {
    const target = this.registered(input);
    if (!input.PolicyName) throw awsError('ValidationException', 'PolicyName must not be null');
    if (input.PolicyType !== 'TargetTrackingScaling')
      throw awsError(
        'ValidationException',
        'the simulated account models only TargetTrackingScaling policies',
      );
    const config = input.TargetTrackingScalingPolicyConfiguration;
    const metric = config?.PredefinedMetricSpecification?.PredefinedMetricType ?? '';
    if (config?.TargetValue === undefined)
      throw awsError(
        'ValidationException',
        'TargetTrackingScalingPolicyConfiguration.TargetValue must not be null',
      );
    if (!PREDEFINED.has(metric))
      throw awsError(
        'ValidationException',
        `Unsupported predefined metric type ${metric} for service namespace ecs`,
      );
    const policy: SimPolicy = {
      name: input.PolicyName,
      targetValue: config.TargetValue,
      metric,
      scaleInCooldown: config.ScaleInCooldown ?? 300,
      scaleOutCooldown: config.ScaleOutCooldown ?? 300,
      disableScaleIn: config.DisableScaleIn ?? false,
    };
    const i = target.policies.findIndex((p) => p.name === policy.name);
    if (i >= 0) target.policies[i] = policy;
    else target.policies.push(policy);
    return {
      PolicyARN: `arn:aws:autoscaling:${this.region}:${this.account}:scalingPolicy:${target.id}:resource/ecs/${target.resourceId}:policyName/${policy.name}`,
      Alarms: [],
    };
  }

  deleteScalingPolicy(input: TargetInput) {
    const target = this.registered(input);
    const i = target.policies.findIndex((p) => p.name === input.PolicyName);
    if (i < 0)
      throw awsError(
        'ObjectNotFoundException',
        `No scaling policy found for service namespace: ecs, resource ID: ${target.resourceId}, policy name: ${input.PolicyName}`,
      );
    target.policies.splice(i, 1);
    return {};
  }

  /** Deregistering a target deletes its scaling policies too (the API's documented behaviour). */
  deregisterScalableTarget(input: TargetInput) {
    const target = this.registered(input);
    this.targets.delete(target.resourceId);
    return {};
  }

  /** The count the scaler wants for a target: the bounds hold always, the policy what the load needs within them. */
  private wanted(target: SimTarget, current: number): number {
    const needs =
      target.policies.length > 0
        ? (this.loadNeeds ?? this.startingCount.get(target.resourceId) ?? current)
        : current;
    const byPolicy =
      (needs > current && target.suspended.out) || (needs < current && target.suspended.in) ? current : needs;
    return Math.min(target.max, Math.max(target.min, byPolicy));
  }

  tick(now: number): void {
    for (const target of this.targets.values()) {
      const service = this.serviceOf(target.resourceId);
      if (!service) continue;
      const wanted = this.wanted(target, service.desiredCount);
      if (wanted === service.desiredCount) {
        target.unwantedSince = null;
        continue;
      }
      target.unwantedSince ??= now;
      if (now - target.unwantedSince < SCALER_SECONDS * 1000) continue;
      const from = service.desiredCount;
      this.ecs.updateService({ cluster: service.cluster, service: service.name, desiredCount: wanted });
      target.unwantedSince = null;
      this.moments.record({
        kind: 'scaled',
        service: `${service.cluster}/${service.name}`,
        from,
        to: wanted,
      });
    }
  }

  report() {
    return {
      scalableTargets: [...this.targets.values()].map((t) => ({
        resourceId: t.resourceId,
        min: t.min,
        max: t.max,
        suspended: t.suspended.in || t.suspended.out,
        policies: t.policies.map((p) => ({
          name: p.name,
          metric: p.metric,
          targetValue: p.targetValue,
          scaleInCooldown: p.scaleInCooldown,
          scaleOutCooldown: p.scaleOutCooldown,
          disableScaleIn: p.disableScaleIn,
        })),
      })),
    };
  }
}
