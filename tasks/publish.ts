// One notice on the notifications topic. Subscribers filter on the `severity` attribute (the page
// list takes only "page"); `event` names what happened.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { aws } from './errors.ts';
import { printable } from './printable.ts';

export type Severity = 'info' | 'warning' | 'page';

export interface Notice {
  readonly topicArn: string;
  readonly event: string;
  readonly severity: Severity;
  readonly subject: string;
  readonly lines: readonly (string | null | undefined | false)[];
}

export async function publish(sns: SNSClient, notice: Notice): Promise<void> {
  await aws(`SNS Publish (${notice.event})`, () =>
    sns.send(
      new PublishCommand({
        TopicArn: notice.topicArn,
        // SNS limits email subjects to 100 characters (and refuses control characters in them); text
        // from input never carries a control character into a subject or a line of its own.
        Subject: printable(notice.subject).slice(0, 100),
        Message: notice.lines
          .filter((line): line is string => Boolean(line))
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
