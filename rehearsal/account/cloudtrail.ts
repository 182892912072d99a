// Simulated CloudTrail event history: the StartExecution calls of the rehearsal's executions, each with
// the identity that made it. AWS delivers events "typically within 5 minutes" and does not guarantee
// it; the rehearsal takes the pessimistic reading: an event is visible DELIVERY_SECONDS after the
// call. LookupEvents pages by MaxResults (at most 50), newest first, as on AWS.
import type { SimulatedClock } from './clock.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

export const DELIVERY_SECONDS = 15 * 60;

interface Recorded {
  readonly eventName: string;
  readonly at: number;
  readonly arn: string;
  readonly responseElements: Record<string, unknown>;
}

export class SimulatedCloudTrail implements SimulatedService {
  readonly name = 'cloudtrail';
  private readonly events: Recorded[] = [];

  readonly commands = { LookupEvents: this.lookupEvents.bind(this) };

  constructor(private readonly clock: SimulatedClock) {}

  /** A call made now by this identity. */
  record(eventName: string, arn: string, responseElements: Record<string, unknown>): void {
    this.events.push({ eventName, at: this.clock.now().getTime(), arn, responseElements });
  }

  lookupEvents(input: {
    LookupAttributes?: { AttributeKey?: string; AttributeValue?: string }[];
    StartTime?: Date;
    EndTime?: Date;
    MaxResults?: number;
    NextToken?: string;
  }) {
    const max = input.MaxResults ?? 50;
    if (max < 1 || max > 50) throw awsError('InvalidMaxResultsException', 'MaxResults must be 1 to 50');
    const name = input.LookupAttributes?.find((a) => a.AttributeKey === 'EventName')?.AttributeValue;
    const delivered = this.clock.now().getTime() - DELIVERY_SECONDS * 1000;
    const matching = this.events
      .filter((e) => e.at <= delivered)
      .filter((e) => name === undefined || e.eventName === name)
      .filter((e) => !input.StartTime || e.at >= new Date(input.StartTime).getTime())
      .filter((e) => !input.EndTime || e.at <= new Date(input.EndTime).getTime())
      .reverse();
    const from = Number(input.NextToken ?? 0);
    const page = matching.slice(from, from + max);
    return {
      Events: page.map((e) => ({
        EventName: e.eventName,
        EventTime: new Date(e.at),
        CloudTrailEvent: JSON.stringify({
          userIdentity: { arn: e.arn },
          responseElements: e.responseElements,
        }),
      })),
      ...(from + max < matching.length && { NextToken: String(from + max) }),
    };
  }

  report() {
    return {};
  }
}
