// The simulated SNS refuses what SNS's Publish refuses of a subject and a message, and a topic of
// another region or account.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../rehearsal/account/clock.ts';
import { SimulatedSns } from '../../rehearsal/account/sns.ts';

const sns = () =>
  new SimulatedSns(new SimulatedClock(new Date('2026-12-01T00:00:00Z')), {
    region: 'us-east-1',
    account: '123456789012',
  });

describe('the simulated SNS', () => {
  it.each([
    ['longer than 100 characters', 'x'.repeat(101)],
    ['empty', ''],
    ['with a line break', 'a\nb'],
    ['with a character that is not ASCII', 'café'],
  ])('refuses a subject %s, as SNS does', (_what, Subject) => {
    expect(() => sns().publish({ Subject, Message: 'm' })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException', message: 'Invalid parameter: Subject' }),
    );
  });

  it.each(['arn:aws:sns:eu-west-1:123456789012:t', 'arn:aws:sns:us-east-1:999999999999:t'])(
    'refuses to publish to %s: a topic of another region or account is not found from here',
    (TopicArn) => {
      expect(() => sns().publish({ TopicArn, Message: 'm' })).toThrow(
        expect.objectContaining({ name: 'NotFoundException' }),
      );
    },
  );

  it('refuses an empty message and one above 256 KiB', () => {
    expect(() => sns().publish({ Message: '' })).toThrow('Invalid parameter: Message');
    expect(() => sns().publish({ Message: 'é'.repeat(128 * 1024 + 1) })).toThrow(
      'Invalid parameter: Message',
    );
  });

  it('keeps a notice it accepts, with its attributes', () => {
    const topic = sns();
    topic.publish({
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
      Subject: 'x'.repeat(100),
      Message: 'm',
      MessageAttributes: { severity: { StringValue: 'page' }, event: { StringValue: 'failed' } },
    });
    expect(topic.report()).toEqual({
      notifications: [
        {
          topicArn: 'arn:aws:sns:us-east-1:123456789012:t',
          subject: 'x'.repeat(100),
          severity: 'page',
          event: 'failed',
        },
      ],
    });
  });
});
