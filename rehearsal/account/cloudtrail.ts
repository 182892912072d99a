// Simulated CloudTrail event history: the management events of the account's write calls (every
// change the account records, and the rehearsal's StartExecution calls), each with the identity that
// made it, and any a scenario says were made before the rehearsal. Reads are not recorded (CloudTrail
// does record them, as ReadOnly events; the lookups here ask for writes). AWS delivers events
// "typically within 5 minutes" and does not guarantee it; the rehearsal takes the pessimistic
// reading: an event is visible DELIVERY_SECONDS after the call. LookupEvents takes at most one
// lookup attribute, as on AWS, and pages by MaxResults (at most 50), newest first.
import type { SimulatedClock } from './clock.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

export const DELIVERY_SECONDS = 15 * 60;

/** A write call made before the rehearsal started, as a scenario sets the scene. */
export interface EarlierEvent {
  readonly minutesBefore: number;
  readonly eventSource: string;
  readonly eventName: string;
  /** The caller's ARN (a person's assumed role, a user). */
  readonly arn: string;
  readonly requestParameters: Record<string, unknown>;
  /** What it changed, as CloudTrail lists resources (type and name). */
  readonly resource?: { readonly type: string; readonly name: string };
}

export interface CloudTrailFaults {
  readonly earlier?: readonly EarlierEvent[];
}

interface Recorded {
  readonly id: number;
  readonly eventSource: string;
  readonly eventName: string;
  readonly at: number;
  readonly arn: string;
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements: Record<string, unknown> | null;
  readonly resource?: { readonly type: string; readonly name: string };
}

/** The attributes LookupEvents filters on, and what of an event each matches. */
const ATTRIBUTES: Record<string, (e: Recorded) => string | undefined> = {
  EventName: (e) => e.eventName,
  EventSource: (e) => e.eventSource,
  ReadOnly: () => 'false',
  Username: (e) => userName(e.arn),
  ResourceName: (e) => e.resource?.name,
  ResourceType: (e) => e.resource?.type,
  EventId: (e) => eventId(e.id),
};

/** CloudTrail's user name: an assumed role's session name, a user's name. */
const userName = (arn: string) => arn.split('/').pop() ?? arn;
const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export class SimulatedCloudTrail implements SimulatedService {
  readonly name = 'cloudtrail';
  private readonly events: Recorded[] = [];

  readonly commands = { LookupEvents: this.lookupEvents.bind(this) };

  constructor(
    private readonly clock: SimulatedClock,
    faults?: CloudTrailFaults,
  ) {
    const start = clock.now().getTime();
    for (const e of [...(faults?.earlier ?? [])].sort((a, b) => b.minutesBefore - a.minutesBefore))
      this.push({ ...e, at: start - e.minutesBefore * 60_000, responseElements: null });
  }

  /** A write call made now by this identity. */
  record(call: {
    eventSource: string;
    eventName: string;
    arn: string;
    requestParameters?: Record<string, unknown>;
    responseElements?: Record<string, unknown>;
    resource?: { type: string; name: string };
  }): void {
    this.push({ ...call, at: this.clock.now().getTime() });
  }

  private push(call: Omit<Recorded, 'id' | 'requestParameters' | 'responseElements'> & Partial<Recorded>) {
    this.events.push({
      requestParameters: null,
      responseElements: null,
      ...call,
      id: this.events.length + 1,
    });
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
    const attributes = input.LookupAttributes ?? [];
    if (attributes.length > 1)
      throw awsError('InvalidLookupAttributesException', 'LookupAttributes takes at most one attribute');
    const [attribute] = attributes;
    const read =
      attribute && Object.hasOwn(ATTRIBUTES, attribute.AttributeKey ?? '')
        ? ATTRIBUTES[attribute.AttributeKey ?? '']
        : undefined;
    if (attribute && !read)
      throw awsError('InvalidLookupAttributesException', `unknown AttributeKey ${attribute.AttributeKey}`);
    const delivered = this.clock.now().getTime() - DELIVERY_SECONDS * 1000;
    const matching = this.events
      .filter((e) => e.at <= delivered)
      .filter((e) => !read || read(e) === attribute?.AttributeValue)
      .filter((e) => !input.StartTime || e.at >= new Date(input.StartTime).getTime())
      .filter((e) => !input.EndTime || e.at <= new Date(input.EndTime).getTime())
      .reverse();
    const from = Number(input.NextToken ?? 0);
    const page = matching.slice(from, from + max);
    return {
      Events: page.map((e) => ({
        EventId: eventId(e.id),
        EventName: e.eventName,
        EventSource: e.eventSource,
        ReadOnly: 'false',
        Username: userName(e.arn),
        EventTime: new Date(e.at),
        ...(e.resource && { Resources: [{ ResourceType: e.resource.type, ResourceName: e.resource.name }] }),
        CloudTrailEvent: JSON.stringify({
          eventVersion: '1.09',
          userIdentity: { type: e.arn.includes(':assumed-role/') ? 'AssumedRole' : 'IAMUser', arn: e.arn },
          eventTime: new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          eventSource: e.eventSource,
          eventName: e.eventName,
          readOnly: false,
          requestParameters: e.requestParameters,
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
