// Simulated ALB target groups (one per configured service). Targets go initial -> healthy/unhealthy
// after their health checks, and draining -> gone once deregistered.
import type { Config } from '../../infra/config.ts';
import { awsError } from './errors.ts';
import { configuredServices, type SimulatedService } from './service.ts';

export interface SimTarget {
  id: string;
  port: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining';
  reason?: string;
  description?: string;
  until: number;
  verdict: 'healthy' | 'unhealthy';
}

const DRAIN_SECONDS = 30;

export class SimulatedElb implements SimulatedService {
  readonly name = 'elb';
  readonly targetGroups = new Map<string, Map<string, SimTarget>>();

  readonly commands = {
    DescribeTargetHealth: (input: { TargetGroupArn?: string }) => this.describeTargetHealth(input),
  };

  constructor(
    config: Config,
    private readonly now: () => number,
  ) {
    for (const { svc } of configuredServices(config))
      if (!this.targetGroups.has(svc.targetGroupArn)) this.targetGroups.set(svc.targetGroupArn, new Map());
  }

  /** A target starts its health checks, to end in `verdict` after `healthSeconds`; none if no such group. */
  register(
    targetGroupArn: string,
    id: string,
    verdict: 'healthy' | 'unhealthy',
    healthSeconds: number,
  ): SimTarget | undefined {
    const targets = this.targetGroups.get(targetGroupArn);
    if (!targets) return undefined;
    const target: SimTarget = {
      id,
      port: 8080,
      state: 'initial',
      reason: 'Elb.InitialHealthChecking',
      description: 'Initial health checks in progress',
      until: this.now() + healthSeconds * 1000,
      verdict,
    };
    targets.set(id, target);
    return target;
  }

  /** A target drains, and leaves the group DRAIN_SECONDS later. */
  deregister(targetGroupArn: string, id: string): void {
    const target = this.targetGroups.get(targetGroupArn)?.get(id);
    if (!target) return;
    target.state = 'draining';
    target.reason = 'Target.DeregistrationInProgress';
    target.description = 'Target deregistration is in progress';
    target.until = this.now() + DRAIN_SECONDS * 1000;
  }

  tick(now: number): void {
    for (const targets of this.targetGroups.values()) {
      for (const [id, target] of targets) {
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
          targets.delete(id);
        }
      }
    }
  }

  describeTargetHealth(input: { TargetGroupArn?: string }) {
    const targets = this.targetGroups.get(input.TargetGroupArn ?? '');
    if (!targets)
      throw awsError('TargetGroupNotFoundException', `Target group '${input.TargetGroupArn}' not found`);
    return {
      TargetHealthDescriptions: [...targets.values()].map((t) => ({
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

  report() {
    return {
      targetGroups: [...this.targetGroups.entries()].map(([arn, targets]) => ({
        targetGroupArn: arn,
        targets: [...targets.values()].map((t) => ({
          id: t.id,
          state: t.state,
          ...(t.reason && { reason: t.reason }),
        })),
      })),
    };
  }
}
