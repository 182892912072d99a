// Simulated ALB target groups (one per configured service). Targets go initial -> healthy/unhealthy
// after their health checks, and draining -> gone once deregistered, after the target group's
// deregistration delay (300 s unless the scenario says otherwise, as AWS's default). A target is an
// id and a port: the task's address in an `ip` group, the EC2 instance and the task's host port in
// an `instance` group. Each target group is attached to an application load balancer of its own
// (active, unless the scenario says otherwise); both are described a page at a time.
import type { Config } from '../../infra/config.ts';
import { awsError } from './errors.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** How a scenario sets up the load balancer. */
export interface ElbFaults {
  /** The target groups' deregistration delay. @default 300 (the AWS default) */
  readonly deregistrationDelaySeconds?: number;
  /** The state the first load balancer is in, with the reason ELB gives. @default active */
  readonly loadBalancer?: {
    readonly state: 'provisioning' | 'active_impaired' | 'failed';
    readonly reason: string;
  };
}

/** Items of one DescribeTargetGroups or DescribeLoadBalancers page here: fewer than asked, so paging is exercised. */
const ELB_PAGE = 1;

interface SimLoadBalancer {
  readonly arn: string;
  readonly name: string;
  state: 'active' | 'provisioning' | 'active_impaired' | 'failed';
  reason?: string;
}

export interface TargetRef {
  readonly id: string;
  readonly port: number;
}

export interface SimTarget extends TargetRef {
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining';
  reason?: string;
  description?: string;
  until: number;
  verdict: 'healthy' | 'unhealthy';
}

interface SimTargetGroup {
  readonly targetType: 'ip' | 'instance';
  readonly loadBalancerArns: string[];
  readonly deregistrationDelaySeconds: number;
  readonly targets: Map<string, SimTarget>;
}

/** AWS's default deregistration delay (target group attribute deregistration_delay.timeout_seconds). */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

const keyOf = (t: TargetRef) => `${t.id}:${t.port}`;

export class SimulatedElb implements SimulatedService {
  readonly name = 'elb';
  readonly targetGroups = new Map<string, SimTargetGroup>();
  readonly loadBalancers = new Map<string, SimLoadBalancer>();

  readonly commands = {
    DescribeTargetHealth: (input: { TargetGroupArn?: string }) => this.describeTargetHealth(input),
    DescribeTargetGroups: (input: { TargetGroupArns?: string[]; Marker?: string }) =>
      this.describeTargetGroups(input),
    DescribeLoadBalancers: (input: { LoadBalancerArns?: string[]; Marker?: string }) =>
      this.describeLoadBalancers(input),
  };

  constructor(
    config: Config,
    faults: ElbFaults | undefined,
    private readonly now: () => number,
  ) {
    for (const { svc } of configuredServices(config))
      if (!this.targetGroups.has(svc.targetGroupArn)) {
        const [, , , region, account, resource = ''] = svc.targetGroupArn.split(':');
        const [, name = '', id = ''] = resource.split('/');
        const first = this.loadBalancers.size === 0 ? faults?.loadBalancer : undefined;
        const lb: SimLoadBalancer = {
          arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}-alb/${id}`,
          name: `${name}-alb`,
          state: first?.state ?? 'active',
          ...(first && { reason: first.reason }),
        };
        this.loadBalancers.set(lb.arn, lb);
        this.targetGroups.set(svc.targetGroupArn, {
          targetType: svc.targetType,
          loadBalancerArns: [lb.arn],
          deregistrationDelaySeconds:
            faults?.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS,
          targets: new Map(),
        });
      }
  }

  /** A target starts its health checks, to end in `verdict` after `healthSeconds`; none if no such group. */
  register(
    targetGroupArn: string,
    ref: TargetRef,
    verdict: 'healthy' | 'unhealthy',
    healthSeconds: number,
  ): SimTarget | undefined {
    const group = this.targetGroups.get(targetGroupArn);
    if (!group) return undefined;
    const target: SimTarget = {
      ...ref,
      state: 'initial',
      reason: 'Elb.InitialHealthChecking',
      description: 'Initial health checks in progress',
      until: this.now() + healthSeconds * 1000,
      verdict,
    };
    group.targets.set(keyOf(ref), target);
    return target;
  }

  /** The target's state now; undefined when it is not registered. */
  stateOf(targetGroupArn: string, ref: TargetRef): SimTarget['state'] | undefined {
    return this.targetGroups.get(targetGroupArn)?.targets.get(keyOf(ref))?.state;
  }

  /** A target drains, and leaves the group after the deregistration delay; the seconds that takes (0 if not registered). */
  deregister(targetGroupArn: string, ref: TargetRef): number {
    const group = this.targetGroups.get(targetGroupArn);
    const target = group?.targets.get(keyOf(ref));
    if (!group || !target) return 0;
    if (target.state !== 'draining') {
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.description = 'Target deregistration is in progress';
      target.until = this.now() + group.deregistrationDelaySeconds * 1000;
    }
    return Math.max(0, (target.until - this.now()) / 1000);
  }

  tick(now: number): void {
    for (const { targets } of this.targetGroups.values()) {
      for (const [key, target] of targets) {
        if (target.until > now) continue;
        if (target.state === 'initial') {
          target.state = target.verdict;
          if (target.verdict === 'unhealthy') {
            target.reason = 'Target.ResponseCodeMismatch';
            target.description = 'Health checks failed with these codes: [502]';
          } else {
            target.reason = undefined;
            target.description = undefined;
          }
        } else if (target.state === 'draining') {
          targets.delete(key);
        }
      }
    }
  }

  describeTargetHealth(input: { TargetGroupArn?: string }) {
    const group = this.targetGroups.get(input.TargetGroupArn ?? '');
    if (!group)
      throw awsError('TargetGroupNotFoundException', `Target group '${input.TargetGroupArn}' not found`);
    return {
      TargetHealthDescriptions: [...group.targets.values()].map((t) => ({
        Target: { Id: t.id, Port: t.port },
        HealthCheckPort: String(t.port),
        TargetHealth: {
          State: t.state,
          ...(t.reason && { Reason: t.reason }),
          ...(t.description && { Description: t.description }),
        },
      })),
    };
  }

  /** As ELB answers: every ARN asked for must exist (else TargetGroupNotFound); the rest behind NextMarker. */
  describeTargetGroups(input: { TargetGroupArns?: string[]; Marker?: string }) {
    const arns = input.TargetGroupArns ?? [...this.targetGroups.keys()];
    const missing = arns.find((arn) => !this.targetGroups.has(arn));
    if (missing) throw awsError('TargetGroupNotFoundException', `Target groups '${missing}' not found`);
    return paged(arns, input.Marker, 'TargetGroups', (arn) => {
      const group = this.targetGroups.get(arn);
      return {
        TargetGroupArn: arn,
        TargetGroupName: arn.split('/')[1],
        TargetType: group?.targetType,
        LoadBalancerArns: [...(group?.loadBalancerArns ?? [])],
      };
    });
  }

  /** As ELB answers: at most 20 ARNs, each of which must exist; the rest behind NextMarker. */
  describeLoadBalancers(input: { LoadBalancerArns?: string[]; Marker?: string }) {
    const arns = input.LoadBalancerArns ?? [...this.loadBalancers.keys()];
    if (arns.length > 20)
      throw awsError('ValidationError', 'LoadBalancerArns: member must have length less than or equal to 20');
    const missing = arns.find((arn) => !this.loadBalancers.has(arn));
    if (missing) throw awsError('LoadBalancerNotFoundException', `Load balancers '${missing}' not found`);
    return paged(arns, input.Marker, 'LoadBalancers', (arn) => {
      const lb = this.loadBalancers.get(arn);
      return {
        LoadBalancerArn: arn,
        LoadBalancerName: lb?.name,
        Type: 'application',
        DNSName: `${lb?.name}-1234567890.elb.amazonaws.com`,
        State: { Code: lb?.state, ...(lb?.reason && { Reason: lb.reason }) },
      };
    });
  }

  report() {
    return {
      loadBalancers: [...this.loadBalancers.values()].map((lb) => ({ name: lb.name, state: lb.state })),
      targetGroups: [...this.targetGroups.entries()].map(([arn, group]) => ({
        targetGroupArn: arn,
        targetType: group.targetType,
        targets: [...group.targets.values()].map((t) => ({
          id: t.id,
          port: t.port,
          state: t.state,
          ...(t.reason && { reason: t.reason }),
        })),
      })),
    };
  }
}

/** One page of `items` from the marker on, under `key`, and the marker of the next. */
function paged<K extends string, T>(
  items: readonly string[],
  marker: string | undefined,
  key: K,
  shown: (item: string) => T,
): Record<K, T[]> & { NextMarker?: string } {
  const start = Number(marker ?? 0);
  const next = start + ELB_PAGE;
  return {
    [key]: items.slice(start, next).map(shown),
    ...(next < items.length && { NextMarker: String(next) }),
  } as Record<K, T[]> & { NextMarker?: string };
}
