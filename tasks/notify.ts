// Announces a run's milestone on the notifications topic, and on failure words the cause the run
// ends with, one a person can act on (the error name is the definition's: see statemachines/outcomes.ts).

import { publish, type Severity } from './publish.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

/** How loud each milestone is: the page list hears only of what needs a person now. */
export const EVENTS = {
  started: 'info',
  succeeded: 'info',
  failed: 'warning',
  'rolled-back': 'warning',
  'rollback-failed': 'page',
  /** A restore's swap that did not complete (the source renamed back, or the services unhealthy on the restored one). */
  'cutover-failed': 'page',
  /** A maintenance change that did not end on the new version or class: it cannot be undone automatically. */
  'maintenance-failed': 'page',
  /** An incident's forced new deployment that did not recover the service: nothing to put back. */
  'recovery-failed': 'page',
} as const satisfies Record<string, Severity>;
export type NotifyEvent = keyof typeof EVENTS;

const FailureSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/**
 * The readable message inside a caught error's Cause. Lambda puts a JSON document there
 * ({errorType, errorMessage}); a failed nested execution puts its own Error and Cause.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as Record<string, unknown>;
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
    if (typeof parsed.Cause === 'string') return readableCause(parsed.Cause);
    if (typeof parsed.Error === 'string') return parsed.Error;
  } catch {
    // Not JSON: already a plain message.
  }
  return cause;
}

/** The name of the error that started it all: a failed nested execution reports its own Error inside the Cause. */
export function originalError(failure: { Error: string; Cause?: string | undefined }): string {
  try {
    const parsed = JSON.parse(failure.Cause ?? '') as Record<string, unknown>;
    if (typeof parsed.errorType === 'string') return parsed.errorType;
    if (typeof parsed.Error === 'string')
      return originalError({
        Error: parsed.Error,
        Cause: typeof parsed.Cause === 'string' ? parsed.Cause : undefined,
      });
  } catch {
    // Not JSON: the error is what the Catch saw.
  }
  return failure.Error;
}

export const notify = defineWorker({
  name: 'notify',
  entry: import.meta.url,
  actions: ['sns:Publish'],
  input: z.object({
    topicArn: z.string().min(1),
    event: z.enum(Object.keys(EVENTS) as [NotifyEvent, ...NotifyEvent[]]),
    procedure: z.string().min(1),
    executionId: z.string().min(1),
    environment: z.string().optional(),
    service: z.string().optional(),
    /** What the run changed or restored, in words (task definitions, snapshot). */
    detail: z.string().optional(),
    failure: FailureSchema.optional(),
    /** The execution input as given, for a notice about input that never validated. */
    input: z.unknown().optional(),
  }),
  run: async ({ topicArn, event, procedure, executionId, detail, failure, input, ...named }, { sns }) => {
    const severity = EVENTS[event];
    const given = (key: 'environment' | 'service') => {
      const value =
        named[key] ??
        (input && typeof input === 'object' ? (input as Record<string, unknown>)[key] : undefined);
      return typeof value === 'string' ? value.slice(0, 64) : undefined;
    };
    const environment = given('environment');
    const service = given('service');
    const target = service ? `${service}${environment ? ` in ${environment}` : ''}` : 'unknown service';
    const why = failure ? `${originalError(failure)}: ${readableCause(failure.Cause)}` : null;
    const cause =
      event === 'rolled-back'
        ? `${procedure} of ${target} was rolled back${why ? ` after ${why}` : ''}${detail ? `. ${detail}` : ''}`
        : event === 'rollback-failed'
          ? `rollback of ${target} did not complete; the service needs a person now.${why ? ` ${why}` : ''}${detail ? `. ${detail}` : ''}`
          : event === 'cutover-failed'
            ? `the cut-over of ${target} to its restored instance did not complete; the database needs a person now.${detail ? ` ${detail}` : ''}${why ? ` ${why}` : ''}`
            : event === 'recovery-failed'
              ? `the forced new deployment of ${target} did not recover it; the service needs a person now.${why ? ` ${why}.` : ''}${detail ? ` ${detail}` : ''}`
              : event === 'maintenance-failed'
                ? `the maintenance of ${target} did not complete, and cannot be undone automatically; the database needs a person now.${why ? ` ${why}.` : ''}${detail ? ` ${detail}` : ''}`
                : failure
                  ? readableCause(failure.Cause)
                  : null;
    const subject = `[${severity.toUpperCase()}] ${procedure} ${event}: ${target}`;
    await publish(sns, {
      topicArn,
      event,
      severity,
      subject,
      lines: [
        cause ?? `${procedure} of ${target} ${event}.`,
        !cause && detail ? detail : null,
        `Execution: ${executionId}`,
      ],
    });

    return { event, severity, cause };
  },
  summarize: (r) => `${r.event} notice sent (${r.severity})`,
});

export const handler = lambdaHandler(notify);
