// Simulated SNS: the runbook's topic keeps every notice published to it, with the severity and event
// attributes its subscriptions filter on.
import type { SimulatedClock } from './clock.ts';
import type { SimulatedService } from './service.ts';

export interface Notification {
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

  constructor(private readonly clock: SimulatedClock) {}

  publish(input: {
    Subject?: string;
    Message?: string;
    MessageAttributes?: Record<string, { StringValue?: string }>;
  }) {
    const attributes = input.MessageAttributes ?? {};
    this.notifications.push({
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
      notifications: this.notifications.map(({ subject, severity, event }) => ({ subject, severity, event })),
    };
  }
}
