import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { startedBy } from '../../../tasks/approvals/starter.ts';
import { testClients, throttled } from '../support.ts';

const cloudtrailMock = mockClient(CloudTrailClient);
const { cloudtrail } = testClients();
const execution = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1';
const event = (executionArn: string, arn: string) => ({
  EventName: 'StartExecution',
  CloudTrailEvent: JSON.stringify({ userIdentity: { arn }, responseElements: { executionArn } }),
});
const DANA = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_ff00/dana';

describe('startedBy', () => {
  beforeEach(() => {
    cloudtrailMock.reset();
  });

  it('finds the StartExecution of the run in the minute around its start, across pages', async () => {
    // Given
    cloudtrailMock
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event(`${execution}-other`, 'x')], NextToken: 'p2' })
      .resolves({ Events: [event(execution, DANA)] });

    // When / Then
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBe(DANA);
    expect(cloudtrailMock).toHaveReceivedNthCommandWith(LookupEventsCommand, 1, {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StartExecution' }],
      StartTime: new Date('2026-11-30T07:59:00.000Z'),
      EndTime: new Date('2026-11-30T08:01:00.000Z'),
      MaxResults: 50,
    });
    expect(cloudtrailMock).toHaveReceivedNthCommandWith(LookupEventsCommand, 2, { NextToken: 'p2' });
  });

  it('knows nobody while the event is not delivered, when throttled or denied, and after five pages', async () => {
    cloudtrailMock.on(LookupEventsCommand).resolves({ Events: [] });
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBeNull();
    cloudtrailMock.reset();
    cloudtrailMock.on(LookupEventsCommand).rejects(throttled());
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBeNull();
    cloudtrailMock.reset();
    cloudtrailMock.on(LookupEventsCommand).resolves({ Events: [event('elsewhere', 'x')], NextToken: 'more' });
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBeNull();
    expect(cloudtrailMock).toHaveReceivedCommandTimes(LookupEventsCommand, 5);
  });

  it('reads past the events of failed starts, which CloudTrail records without responseElements', async () => {
    cloudtrailMock.on(LookupEventsCommand).resolves({
      Events: [
        { CloudTrailEvent: JSON.stringify({ userIdentity: { arn: 'x' }, responseElements: null }) },
        event(execution, DANA),
      ],
    });
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBe(DANA);
  });

  it('knows nobody from an event of the run that names no caller', async () => {
    cloudtrailMock.on(LookupEventsCommand).resolves({
      Events: [{ CloudTrailEvent: JSON.stringify({ responseElements: { executionArn: execution } }) }],
    });
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBeNull();
  });

  it('stops at the last page', async () => {
    cloudtrailMock.on(LookupEventsCommand).resolves({ Events: [event('elsewhere', 'x')] });
    await expect(startedBy(cloudtrail, execution, '2026-11-30T08:00:00.000Z')).resolves.toBeNull();
    expect(cloudtrailMock).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
  });
});
