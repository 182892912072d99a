// Simulated CloudWatch: the configured alarms, the first of each service watched. As a scenario says,
// it is in ALARM from the start, or fires a few minutes after a new release completes and clears once
// the service is back on a known release. Its metrics are metrics.ts's.
import type { Config } from '../../infra/config.ts';
import type { SimulatedEcs } from './ecs.ts';
import type { SimulatedElb } from './elb.ts';
import { awsError } from './errors.ts';
import { type MetricsFaults, SimulatedMetrics } from './metrics.ts';
import type { Moments } from './moments.ts';
import type { SimulatedRds } from './rds.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** How a scenario makes the watched alarms fire. */
export interface CloudWatchFaults {
  /** The first watched alarm is already in ALARM when the rehearsal starts. */
  readonly alarmAtStart?: boolean;
  /** Minutes after a new release completes at which the first watched alarm fires. */
  readonly alarmAfterMinutes?: number;
  /** The first watched alarm of each service is a composite alarm. */
  readonly firstAlarmComposite?: boolean;
  /** What the environment's metrics show. */
  readonly metrics?: MetricsFaults;
}

/** Alarms one DescribeAlarms page holds here: fewer than asked for, so every caller's paging is exercised. */
const ALARMS_PAGE = 2;

interface SimAlarm {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  /** The service whose release this alarm watches (for the scenario). */
  serviceKey: string;
  watched: boolean;
  composite: boolean;
}

export class SimulatedCloudWatch implements SimulatedService {
  readonly name = 'cloudwatch';
  readonly alarms = new Map<string, SimAlarm>();
  private releaseCompletedAt = new Map<string, number>();

  readonly metrics: SimulatedMetrics;

  readonly commands = {
    DescribeAlarms: this.describeAlarms.bind(this),
    GetMetricData: (input: Parameters<SimulatedMetrics['getMetricData']>[0]) =>
      this.metrics.getMetricData(input),
  };

  private readonly region: string;
  private readonly account: string;

  /** The alarms watch ECS services' releases, and the metrics are of ECS's services, RDS's instances and the load balancers: it reads them from those units. */
  constructor(
    config: Config,
    private readonly faults: CloudWatchFaults | undefined,
    private readonly ecs: SimulatedEcs,
    rds: SimulatedRds,
    elb: SimulatedElb,
    private readonly moments: Moments,
    now: () => number,
  ) {
    this.region = config.region;
    this.account = config.account;
    this.metrics = new SimulatedMetrics(config, faults?.metrics, ecs, rds, elb, now);
    for (const { svc } of configuredServices(config)) {
      svc.alarms.forEach((alarm, i) => {
        this.addAlarm(alarm, `${svc.cluster}/${svc.service}`, i === 0);
      });
    }
  }

  private addAlarm(name: string, serviceKey: string, first: boolean): void {
    if (!this.alarms.has(name)) {
      const firing = first && this.faults?.alarmAtStart === true;
      this.alarms.set(name, {
        name,
        state: firing ? 'ALARM' : 'OK',
        reason: firing
          ? 'Threshold Crossed: 5 out of the last 5 datapoints were greater than the threshold (10.0)'
          : 'Threshold Crossed: no datapoints were breaching the threshold',
        serviceKey,
        watched: first,
        composite: first && this.faults?.firstAlarmComposite === true,
      });
    }
  }

  tick(now: number): void {
    const after = this.faults?.alarmAfterMinutes;
    if (after === undefined) return;
    for (const alarm of this.alarms.values()) {
      if (!alarm.watched) continue;
      const service = this.ecs.services.get(alarm.serviceKey);
      const primary = service?.deployments[0];
      if (!service || !primary) continue;
      const onRelease =
        this.ecs.newReleases.has(primary.taskDefinition) && primary.rolloutState === 'COMPLETED';
      if (onRelease) {
        const since = this.releaseCompletedAt.get(alarm.name) ?? now;
        this.releaseCompletedAt.set(alarm.name, since);
        if (alarm.state !== 'ALARM' && now - since >= after * 60_000) {
          alarm.state = 'ALARM';
          alarm.reason =
            'Threshold Crossed: 3 out of the last 3 datapoints [48.0, 41.0, 37.0] were greater than the threshold (10.0)';
          this.moments.record({ kind: 'alarm', alarm: alarm.name, service: alarm.serviceKey });
        }
      } else if (!this.ecs.newReleases.has(primary.taskDefinition) && alarm.state === 'ALARM') {
        alarm.state = 'OK';
        alarm.reason = 'Threshold Crossed: no datapoints were breaching the threshold';
        this.releaseCompletedAt.delete(alarm.name);
      }
    }
  }

  /**
   * As CloudWatch answers it: at most 100 names, or a name prefix, not both; only metric alarms
   * unless AlarmTypes asks for composite ones too; only those in StateValue if given; in pages (of
   * ALARMS_PAGE here), the rest behind NextToken.
   */
  describeAlarms(input: {
    AlarmNames?: string[];
    AlarmNamePrefix?: string;
    AlarmTypes?: string[];
    StateValue?: string;
    MaxRecords?: number;
    NextToken?: string;
  }) {
    if ((input.AlarmNames?.length ?? 0) > 100)
      throw awsError('ValidationError', 'The collection AlarmNames must not have a size greater than 100.');
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined)
      throw awsError(
        'InvalidParameterCombination',
        'AlarmNames and AlarmNamePrefix cannot be used together.',
      );
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const names =
      input.AlarmNames ?? [...this.alarms.keys()].filter((n) => n.startsWith(input.AlarmNamePrefix ?? ''));
    const matching = names.flatMap((name) => {
      const alarm = this.alarms.get(name);
      return alarm &&
        types.includes(alarm.composite ? 'CompositeAlarm' : 'MetricAlarm') &&
        (input.StateValue === undefined || alarm.state === input.StateValue)
        ? [alarm]
        : [];
    });
    const start = Number(input.NextToken ?? 0);
    const page = matching.slice(start, start + Math.min(ALARMS_PAGE, input.MaxRecords ?? 50));
    const shown = (a: SimAlarm) => ({
      AlarmName: a.name,
      AlarmArn: `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${a.name}`,
      StateValue: a.state,
      StateReason: a.reason,
    });
    const next = start + page.length;
    return {
      MetricAlarms: page.filter((a) => !a.composite).map(shown),
      CompositeAlarms: page.filter((a) => a.composite).map(shown),
      ...(next < matching.length && { NextToken: String(next) }),
    };
  }

  report() {
    return { alarms: [...this.alarms.values()].map((a) => ({ name: a.name, state: a.state })) };
  }
}
