// Simulated SNS: the runbook's topic keeps every notice published to it, with the severity and event
// attributes its subscriptions filter on. It refuses what SNS refuses of a subject and a message,
// and a topic of another region or account (a client reaches its own region's topics).
import type { SimulatedClock } from './clock.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

export interface Notification {
  /** The topic it was published to. */
  readonly topicArn: string;
  readonly subject: string;
  readonly severity: string;
  readonly event: string;
  readonly message: string;
  /** Seconds since the rehearsal started. */
  readonly at: number;
}

export class SimulatedSns implements SimulatedService {
  readonly name = 'sns';
  readonly notifications: Notification[] = [];

  readonly commands = { Publish: this.publish.bind(this) };

  /** Topics are regional: a client of the account's region publishes to the account's topics there. */
  constructor(
    private readonly clock: SimulatedClock,
    private readonly home: { readonly region: string; readonly account: string },
  ) {}

  publish(input: {
    TopicArn?: string;
    Subject?: string;
    Message?: string;
    MessageAttributes?: Record<string, { StringValue?: string }>;
  }) {
    // As SNS checks them (Publish: a subject of ASCII without line breaks or control characters, at
    // most 100 characters; a message of at most 256 KiB, not empty).
    const [, , , region, account] = String(input.TopicArn ?? '').split(':');
    if (input.TopicArn !== undefined && (region !== this.home.region || account !== this.home.account))
      throw awsError('NotFoundException', 'Topic does not exist');
    const subject = input.Subject;
    if (
      subject !== undefined &&
      (subject.length === 0 || subject.length > 100 || /[^\x20-\x7e]/.test(subject))
    )
      throw awsError('InvalidParameterException', 'Invalid parameter: Subject');
    const message = String(input.Message ?? '');
    if (message.length === 0 || Buffer.byteLength(message) > 256 * 1024)
      throw awsError('InvalidParameterException', 'Invalid parameter: Message');
    const attributes = input.MessageAttributes ?? {};
    this.notifications.push({
      topicArn: String(input.TopicArn ?? ''),
      subject: String(input.Subject ?? ''),
      severity: attributes.severity?.StringValue ?? 'info',
      event: attributes.event?.StringValue ?? 'unknown',
      message: String(input.Message ?? ''),
      at: this.clock.elapsedSeconds(),
    });
    return { MessageId: `rehearsal-${this.notifications.length}` };
  }

  report() {
    return {
      notifications: this.notifications.map(({ topicArn, subject, severity, event }) => ({
        topicArn,
        subject,
        severity,
        event,
      })),
    };
  }
}
