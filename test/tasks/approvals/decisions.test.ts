import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { getRequest, listPending, Refused, submitDecision } from '../../../tasks/approvals/decisions.ts';
import { type Identity, identityOf } from '../../../tasks/approvals/identity.ts';
import { type ApprovalRequest, toItem } from '../../../tasks/approvals/request.ts';
import { approvedOutput } from '../../../tasks/approvals/rules.ts';
import { awsError, testClients, throttled } from '../support.ts';
import { approvalRequest } from './fixture.ts';

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
const item = (r: ApprovalRequest, token = 'token-1') => ({ ...toItem(r), taskToken: { S: token } });
const attempt = {
  caller: bob,
  decision: 'approve' as const,
  summaryHash: request.summaryHash,
  comment: null,
  now,
};
const key = { pk: { S: `approval#${request.approvalId}` } };
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
    dynamodbMock.on(PutItemCommand).resolves({});
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
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
    expect(outcome).toEqual({ request: approved, remaining: 0, delivered: true });
    expect(dynamodbMock).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: table,
      Key: key,
      ConsistentRead: true,
    });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: table,
      Item: item(approved),
      ConditionExpression: '#version = :read',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':read': { N: '1' } },
    });
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
    expect(outcome).toMatchObject({ remaining: 1, delivered: true, request: { status: 'pending' } });
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

  it('records a refused attempt and throws Refused with its code, resuming nothing', async () => {
    // When
    const decided = submitDecision(clients, table, request.approvalId, { ...attempt, caller: who('alice') });

    // Then
    await expect(decided).rejects.toMatchObject({ name: 'Refused', code: 'OwnRequest' });
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        refusals: { S: expect.stringContaining('"code":"OwnRequest"') },
        status: { S: 'pending' },
      }),
    });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses an unknown request without writing anything', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves({});

    // When / Then
    await expect(submitDecision(clients, table, 'nope', attempt)).rejects.toEqual(
      new Refused('UnknownRequest', 'no approval nope'),
    );
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
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
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
      .resolves({});

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then both approvals count, and the run resumes
    expect(outcome.request.decisions.map((d) => d.person)).toEqual(['carol', 'bob']);
    expect(dynamodbMock).toHaveReceivedNthCommandWith(PutItemCommand, 2, {
      ExpressionAttributeValues: { ':read': { N: '2' } },
    });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('gives up after three lost races, resuming nothing', async () => {
    // Given
    dynamodbMock
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // When / Then
    await expect(submitDecision(clients, table, request.approvalId, attempt)).rejects.toThrow(
      `approval ${request.approvalId} kept changing while it was decided; try again`,
    );
    expect(dynamodbMock).toHaveReceivedCommandTimes(PutItemCommand, 3);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('follows the gate to its newer token when the one it read was retired by a retry', async () => {
    // Given
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item(request, 'token-1') })
      .resolves({ Item: item(approvedByBob, 'token-2') });
    sfnMock
      .on(SendTaskSuccessCommand, { taskToken: 'token-1' })
      .rejects(awsError('InvalidToken', 'Invalid Token'));

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then
    expect(outcome.delivered).toBe(true);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-2' });
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

    // Then
    expect(outcome.delivered).toBe(false);
    expect(sfnMock).not.toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-2' });
  });

  it('reports the decision undelivered when the run no longer waits (its token is gone and not replaced)', async () => {
    // Given
    sfnMock.on(SendTaskSuccessCommand).rejects(awsError('TaskTimedOut', 'Task Timed Out'));

    // When
    const outcome = await submitDecision(clients, table, request.approvalId, attempt);

    // Then
    expect(outcome).toMatchObject({ delivered: false, request: { status: 'approved' } });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('reports undelivered when the newer token is gone too, and keeps other Step Functions errors', async () => {
    // Given
    dynamodbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: item(request, 'token-1') })
      .resolves({ Item: item(request, 'token-2') });
    sfnMock.on(SendTaskSuccessCommand).rejects(awsError('TaskDoesNotExist', 'gone'));

    // When / Then
    await expect(submitDecision(clients, table, request.approvalId, attempt)).resolves.toMatchObject({
      delivered: false,
    });
    sfnMock.reset();
    sfnMock.on(SendTaskSuccessCommand).rejects(awsError('AccessDeniedException', 'no'));
    await expect(submitDecision(clients, table, request.approvalId, attempt)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
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
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
    dynamodbMock.on(GetItemCommand).resolves({});
    await expect(getRequest(clients, table, 'x', bob, now)).rejects.toMatchObject({ code: 'UnknownRequest' });
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

    // Then he is refused, and the request now says who started it
    await expect(decided).rejects.toMatchObject({ code: 'OwnRequest' });
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ startedBy: { S: JSON.stringify(bobStarted) } }),
    });
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
