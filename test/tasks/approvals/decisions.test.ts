import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  getRequest,
  listPending,
  Refused,
  redeliver,
  submitDecision,
} from '../../../tasks/approvals/decisions.ts';
import { type Identity, identityOf } from '../../../tasks/approvals/identity.ts';
import { type ApprovalRequest, toItem } from '../../../tasks/approvals/request.ts';
import { approvedOutput } from '../../../tasks/approvals/rules.ts';
import { awsError, testClients, throttled } from '../support.ts';
import { approvalRequest, updatedItem, written } from './fixture.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
const cloudtrailMock = mockClient(CloudTrailClient);
const clients = testClients();
const table = 'runbook-state';

const who = (person: string): Identity => {
  const identity = identityOf(
    `arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/${person}`,
  );
  if (!identity) throw new Error(person);
  return identity;
};
const bob = who('bob');
const request = approvalRequest();
const now = '2026-11-30T08:10:00.000Z';
const item = (r: ApprovalRequest, token = 'token-1'): Record<string, AttributeValue> => ({
  ...toItem(r),
  taskToken: { S: token },
});
const attempt = {
  caller: bob,
  decision: 'approve' as const,
  summaryHash: request.summaryHash,
  comment: null,
  now,
};
const key = { pk: { S: `approval#${request.approvalId}` } };
/** The UpdateItem calls made, in order. */
const updates = (): UpdateItemCommandInput[] =>
  dynamodbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
const approvedByBob: ApprovalRequest = {
  ...request,
  status: 'approved',
  version: 2,
  decisions: [{ decision: 'approve', arn: bob.arn, person: 'bob', at: now, comment: null }],
};

describe('the approval service', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    sfnMock.reset();
    cloudtrailMock.reset();
    dynamodbMock.on(GetItemCommand).resolves({ Item: item(request) });
    dynamodbMock.on(UpdateItemCommand).resolves({});
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('records an approval over the version it read and resumes the run with the decision as the gate’s output', async () => {
    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then
    const approved: ApprovalRequest = {
      ...request,
      status: 'approved',
      version: 2,
      decisions: [{ decision: 'approve', arn: bob.arn, person: 'bob', at: now, comment: null }],
    };
    expect(outcome).toEqual({ request: approved, remaining: 0, delivery: 'delivered' });
    expect(dynamodbMock).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: table,
      Key: key,
      ConsistentRead: true,
    });
    // The decision over the version read, then what became of it over the version written
    expect(updates()).toHaveLength(2);
    expect(updates()[0]).toMatchObject({
      TableName: table,
      Key: key,
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: expect.objectContaining({ ':read': { N: '1' } }),
    });
    expect(updates()[0]?.UpdateExpression).toMatch(/ REMOVE #delivered$/);
    expect(updatedItem(updates()[0] ?? {})).toEqual(written(approved));
    expect(updatedItem(updates()[1] ?? {})).toEqual(
      written({ ...approved, delivery: { at: now, result: 'delivered' }, version: 3 }),
    );
    expect(updates()[1]?.ExpressionAttributeValues).toMatchObject({ ':read': { N: '2' } });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: JSON.stringify(approvedOutput(approved)),
    });
  });

  it('records the first of two approvals without resuming the run', async () => {
    // Given
    dynamodbMock
      .on(GetItemCommand)
      .resolves({ Item: item({ ...request, rule: { ...request.rule, required: 2 } }) });

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then
    expect(outcome).toMatchObject({ remaining: 1, delivery: null, request: { status: 'pending' } });
    expect(updates()).toHaveLength(1);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('ends the run’s wait with ApprovalRejected and the reason on a rejection', async () => {
    // When
    await submitDecision(clients, table, request.approvalId, {
      ...attempt,
      decision: 'reject',
      comment: 'freeze',
    });

    // Then
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: 'token-1',
      error: 'ApprovalRejected',
      cause: expect.stringContaining(`Rejected by bob (${bob.arn}) at ${now}: freeze`),
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('records a refused attempt by appending it, whatever the version, and throws Refused with its code, resuming nothing', async () => {
    // When
    const decided = submitDecision(clients, table, request.approvalId, { ...attempt, caller: who('alice') });

    // Then
    await expect(decided).rejects.toMatchObject({ name: 'Refused', code: 'OwnRequest' });
    expect(updates()).toEqual([
      {
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #refusals = list_append(#refusals, :refusal)',
        ConditionExpression: 'attribute_exists(pk) AND size(#refusals) < :max',
        ExpressionAttributeNames: { '#refusals': 'refusals' },
        ExpressionAttributeValues: {
          ':refusal': { L: [{ S: expect.stringContaining('"code":"OwnRequest"') }] },
          ':max': { N: '100' },
        },
      },
    ]);
    expect(JSON.parse(updates()[0]?.ExpressionAttributeValues?.[':refusal']?.L?.[0]?.S ?? '')).toEqual({
      arn: who('alice').arn,
      at: now,
      code: 'OwnRequest',
      message: expect.stringContaining('alice requested this change'),
    });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('throws Refused even when the request already keeps as many refusals as it may (the log is then the record)', async () => {
    // Given
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // When / Then
    await expect(
      submitDecision(clients, table, request.approvalId, { ...attempt, caller: who('alice') }),
    ).rejects.toMatchObject({ name: 'Refused', code: 'OwnRequest' });
  });

  it('refuses an unknown request without writing anything', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves({});

    // When / Then
    await expect(submitDecision(clients, table, 'nope', attempt)).rejects.toEqual(
      new Refused('UnknownRequest', 'no approval nope'),
    );
    expect(dynamodbMock).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('decides again on the newer version when someone wrote in between', async () => {
    // Given a first write that loses the race to another approver's
    const other = {
      decision: 'approve' as const,
      arn: who('carol').arn,
      person: 'carol',
      at: now,
      comment: null,
    };
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item({ ...request, rule: { ...request.rule, required: 2 } }) })
      .resolves({
        Item: item({ ...request, rule: { ...request.rule, required: 2 }, decisions: [other], version: 2 }),
      });
    dynamodbMock
      .on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
      .resolves({});

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then both approvals count, and the run resumes
    expect(outcome.request.decisions.map((d) => d.person)).toEqual(['carol', 'bob']);
    expect(updates()[1]?.ExpressionAttributeValues).toMatchObject({ ':read': { N: '2' } });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('gives up after three lost races, resuming nothing', async () => {
    // Given
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // When / Then
    await expect(submitDecision(clients, table, request.approvalId, attempt)).rejects.toThrow(
      `approval ${request.approvalId} kept changing while it was decided; try again`,
    );
    expect(dynamodbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('never sends a decision to the token of a request the gate opened again (decided anew)', async () => {
    // Given the gate, retried, opened the request again with a new token and no decisions
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item(request, 'token-1') })
      .resolves({ Item: item({ ...request, version: 3 }, 'token-2') });
    sfnMock
      .on(SendTaskSuccessCommand, { taskToken: 'token-1' })
      .rejects(awsError('InvalidToken', 'Invalid Token'));

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then: nothing recorded of a delivery to the request decided anew
    expect(outcome.delivery).toBe('ended');
    expect(sfnMock).not.toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-2' });
    expect(updates()).toHaveLength(1);
  });

  it('reports the decision undelivered when the run no longer waits (its token is gone and not replaced)', async () => {
    // Given (read again after the send: the decision just written, with the same token)
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item(request) })
      .resolves({ Item: item(approvedByBob) });
    sfnMock.on(SendTaskSuccessCommand).rejects(awsError('TaskTimedOut', 'Task Timed Out'));

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then it is not sent again: the request records that the run had ended
    expect(outcome).toMatchObject({ delivery: 'ended', request: { status: 'approved' } });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(updatedItem(updates()[1] ?? {})).toMatchObject({
      delivery: { S: JSON.stringify({ at: now, result: 'ended' }) },
    });
  });

  it('leaves the record of a delivery that got there first as it is, when its own send finds the token gone', async () => {
    // Given another delivery (the schedule, say) recorded while this one sent
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item(request) })
      .resolves({
        Item: item({
          ...approvedByBob,
          delivery: { at: '2026-11-30T08:09:00.000Z', result: 'delivered' },
          version: 3,
        }),
      });
    sfnMock.on(SendTaskSuccessCommand).rejects(awsError('TaskTimedOut', 'Task Timed Out'));

    // When / Then
    await expect(submitDecision(clients, table, request.approvalId, attempt)).resolves.toMatchObject({
      delivery: 'delivered',
    });
    expect(updates()).toHaveLength(1);
  });

  it.each([
    ['unavailable', 'ServiceUnavailable'],
    ['throttling', 'ThrottlingException'],
    ['refusing the function', 'AccessDeniedException'],
  ])(
    'keeps a decision Step Functions did not take (%s) decided and waiting for delivery, logging no token',
    async (_what, error) => {
      // Given
      sfnMock.on(SendTaskSuccessCommand).rejects(awsError(error, 'no'));
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

      // When
      const outcome = await submitDecision(clients, table, request.approvalId, attempt);

      // Then: recorded as approved, with no delivery, so the schedule sends it again
      expect(outcome).toMatchObject({ delivery: 'failed', request: { status: 'approved', delivery: null } });
      expect(updates()).toHaveLength(1);
      expect(warn).toHaveBeenCalledWith(
        JSON.stringify({ undelivered: request.approvalId, error, message: 'no' }),
      );
      expect(JSON.stringify(warn.mock.calls)).not.toContain('token-1');
    },
  );

  it('sends a decided outcome that never reached the run again when anyone calls, refusing the call itself', async () => {
    // Given bob's approval, recorded but not taken by Step Functions
    dynamodbMock.on(GetItemCommand).resolves({ Item: item(approvedByBob) });

    // When carol calls, to reject
    const decided = submitDecision(clients, table, request.approvalId, {
      ...attempt,
      caller: who('carol'),
      decision: 'reject',
      comment: 'no',
    });

    // Then her call is refused and recorded, and bob's approval is what is sent, and marked
    const message = `approval ${request.approvalId} is already approved; its outcome had not reached the run, and was sent again (delivered)`;
    await expect(decided).rejects.toEqual(new Refused('RequestClosed', message));
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: JSON.stringify(approvedOutput(approvedByBob)),
    });
    expect(updatedItem(updates()[0] ?? {})).toEqual(
      written({ ...approvedByBob, delivery: { at: now, result: 'delivered' }, version: 3 }),
    );
    expect(JSON.parse(updates()[1]?.ExpressionAttributeValues?.[':refusal']?.L?.[0]?.S ?? '')).toEqual({
      arn: who('carol').arn,
      at: now,
      code: 'RequestClosed',
      message,
    });
  });

  it('refuses a call on a closed request whose outcome reached the run', async () => {
    dynamodbMock
      .on(GetItemCommand)
      .resolves({ Item: item({ ...approvedByBob, delivery: { at: now, result: 'delivered' } }) });
    await expect(
      submitDecision(clients, table, request.approvalId, { ...attempt, caller: who('carol') }),
    ).rejects.toMatchObject({ code: 'RequestClosed' });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('sends again, on its schedule, every decided outcome that did not reach its run, and counts what became of each', async () => {
    // Given a pending request, an approval not delivered, a rejection whose run ended, one not taken again
    const rejected: ApprovalRequest = {
      ...request,
      approvalId: 'rejected',
      status: 'rejected',
      decisions: [{ decision: 'reject', arn: bob.arn, person: 'bob', at: now, comment: 'no' }],
    };
    const stuck = { ...approvedByBob, approvalId: 'stuck' };
    dynamodbMock.on(ScanCommand).resolves({
      Items: [item(request), item(approvedByBob), item(rejected, 'token-r'), item(stuck, 'token-s')],
    });
    dynamodbMock.on(GetItemCommand).resolves({ Item: item(rejected, 'token-r') });
    sfnMock.on(SendTaskFailureCommand).rejects(awsError('TaskTimedOut', 'Task Timed Out'));
    sfnMock
      .on(SendTaskSuccessCommand, { taskToken: 'token-s' })
      .rejects(awsError('ServiceUnavailable', 'no'));
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    // When
    const counts = await redeliver(clients, table, now);

    // Then
    expect(counts).toEqual({ delivered: 1, ended: 1, failed: 1 });
    expect(dynamodbMock).toHaveReceivedCommandWith(ScanCommand, {
      FilterExpression:
        'begins_with(pk, :approval) AND #status = :pending OR begins_with(pk, :approval) AND #status = :approved AND attribute_not_exists(delivery) OR begins_with(pk, :approval) AND #status = :rejected AND attribute_not_exists(delivery)',
      ExpressionAttributeValues: {
        ':approval': { S: 'approval#' },
        ':pending': { S: 'pending' },
        ':approved': { S: 'approved' },
        ':rejected': { S: 'rejected' },
      },
    });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-r' });
    expect(updates().map((u) => updatedItem(u).delivery?.S)).toEqual([
      JSON.stringify({ at: now, result: 'delivered' }),
      JSON.stringify({ at: now, result: 'ended' }),
    ]);
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).rejects(throttled());

    // When / Then
    await expect(submitDecision(clients, table, request.approvalId, attempt)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB GetItem (approval): ThrottlingException: Rate exceeded',
    });
  });

  it('reads a request without deciding it, saying whether this caller may decide it now', async () => {
    // When
    const asBob = await getRequest(clients, table, request.approvalId, bob, now);
    const asAlice = await getRequest(clients, table, request.approvalId, who('alice'), now);

    // Then
    expect(asBob).toEqual({ request, mayDecide: true });
    expect(asAlice.mayDecide).toBe(false);
    expect(dynamodbMock).not.toHaveReceivedCommand(UpdateItemCommand);
    dynamodbMock.on(GetItemCommand).resolves({});
    await expect(getRequest(clients, table, 'x', bob, now)).rejects.toEqual(
      new Refused('UnknownRequest', 'no approval x'),
    );
  });

  it('lists the pending requests the caller may decide, reading every page, oldest first', async () => {
    // Given two pages: an older request, one of alice's own, and a newer one
    const older = { ...request, approvalId: 'older', requestedAt: '2026-11-30T07:00:00.000Z' };
    const own = { ...request, approvalId: 'own', summary: { ...request.summary, requestedBy: 'bob' } };
    dynamodbMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [item(request), item(own)], LastEvaluatedKey: { pk: { S: 'approval#own' } } })
      .resolves({ Items: [item(older)] });

    // When
    const pending = await listPending(clients, table, bob, now);

    // Then
    expect(pending.map((r) => r.approvalId)).toEqual(['older', request.approvalId]);
    expect(dynamodbMock).toHaveReceivedNthCommandWith(ScanCommand, 1, {
      TableName: table,
      FilterExpression: 'begins_with(pk, :approval) AND #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':approval': { S: 'approval#' }, ':pending': { S: 'pending' } },
      ConsistentRead: true,
    });
    expect(dynamodbMock).toHaveReceivedNthCommandWith(ScanCommand, 2, {
      ExclusiveStartKey: { pk: { S: 'approval#own' } },
    });
  });

  it('looks up who started the run in CloudTrail once, keeping it on the request, and refuses that person', async () => {
    // Given a request whose starter is not known yet, started by bob under another permission set
    dynamodbMock.on(GetItemCommand).resolves({ Item: item({ ...request, startedBy: null }) });
    const bobStarted = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_ff00/bob';
    cloudtrailMock.on(LookupEventsCommand).resolves({
      Events: [
        {
          CloudTrailEvent: JSON.stringify({
            userIdentity: { arn: bobStarted },
            responseElements: { executionArn: request.executionId },
          }),
        },
      ],
    });

    // When bob approves
    const decided = submitDecision(clients, table, request.approvalId, attempt);

    // Then he is refused, and the request now says who started it (over its version), his attempt appended
    await expect(decided).rejects.toMatchObject({ code: 'OwnRequest' });
    // CloudTrail was asked about the minute around the run's start (not the request's)
    expect(cloudtrailMock).toHaveReceivedCommandWith(LookupEventsCommand, {
      StartTime: new Date(Date.parse(request.runStartedAt) - 60_000),
      EndTime: new Date(Date.parse(request.runStartedAt) + 60_000),
    });
    expect(updatedItem(updates()[0] ?? {})).toEqual(
      written({ ...request, startedBy: bobStarted, version: 2 }),
    );
    expect(updates()[1]?.UpdateExpression).toBe('SET #refusals = list_append(#refusals, :refusal)');
  });

  it('refuses with StarterUnknown while CloudTrail has no record of the start, resuming nothing', async () => {
    dynamodbMock.on(GetItemCommand).resolves({ Item: item({ ...request, startedBy: null }) });
    cloudtrailMock.on(LookupEventsCommand).resolves({ Events: [] });
    await expect(submitDecision(clients, table, request.approvalId, attempt)).rejects.toMatchObject({
      code: 'StarterUnknown',
    });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('does not ask CloudTrail again once the starter is known', async () => {
    await submitDecision(clients, table, request.approvalId, attempt);
    expect(cloudtrailMock).not.toHaveReceivedAnyCommand();
  });
});
