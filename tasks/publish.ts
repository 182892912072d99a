// One notice on the notifications topic. Subscribers filter on the `severity` attribute (the page
// list takes only "page"); `event` names what happened.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { aws } from './errors.ts';
import { printable } from './printable.ts';
import * as z from './zod.ts';

export type Severity = 'info' | 'warning' | 'page';

export interface Notice {
  readonly topicArn: string;
  readonly event: string;
  readonly severity: Severity;
  readonly subject: string;
  /** The message's lines; '' is a blank line, and null, undefined or false leave no line. */
  readonly lines: readonly (string | null | undefined | false)[];
}

export async function publish(sns: SNSClient, notice: Notice): Promise<void> {
  await aws(`SNS Publish (${notice.event})`, () =>
    sns.send(
      new PublishCommand({
        TopicArn: notice.topicArn,
        // SNS takes a subject of ASCII only, without line breaks or control characters, at most 100
        // characters; text from input never carries a control character into a subject or a line of
        // its own, and anything else not ASCII is shown as an escape.
        Subject: subjectOf(notice.subject),
        Message: notice.lines
          .filter((line): line is string => typeof line === 'string')
          .map(printable)
          .join('\n'),
        MessageAttributes: {
          event: { DataType: 'String', StringValue: notice.event },
          severity: { DataType: 'String', StringValue: notice.severity },
        },
      }),
    ),
  );
}

/** A subject SNS accepts: printable ASCII, at most 100 characters. */
export const subjectOf = (text: string) =>
  printable(text)
    .replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`)
    .slice(0, 100);

/**
 * The input of a worker that announces a report, as statemachines/outcomes.ts's announceReport
 * gives it: the topic, the procedure, the execution, and the report with the severity it was
 * announced at (never null: a report without one is not announced).
 */
export const reportNoticeInput = <
  T extends z.ZodRawShape,
  const S extends readonly [Severity, ...Severity[]],
>(
  report: z.ZodObject<T>,
  severities: S,
) =>
  z.object({
    topicArn: z.string().min(1),
    procedure: z.string().min(1),
    executionId: z.string().min(1),
    report: report.extend({ severity: z.enum(severities) }),
  });
