import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimulatedDynamoDb } from '../../rehearsal/account/dynamodb.ts';
import { acquireLock } from '../../tasks/acquire-lock.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();

const lock = {
  key: 'ecs:enterprise-prod-cluster/app-service',
  owner: 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1',
  procedure: 'production-deployment',
};
const event = { table: 'runbook-locks', lock, now: '2026-11-30T08:00:00.000Z', ttlSeconds: 3600 };
const nowEpoch = Date.parse('2026-11-30T08:00:00.000Z') / 1000;

describe('acquire-lock', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('takes a free lock with a conditional PutItem that only overwrites its own or an expired lock, with a TTL', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});

    // When
    const result = await invoke(acquireLock, event, clients);

    // Then
    expect(result).toEqual({ key: lock.key, owner: lock.owner, expiresAt: nowEpoch + 3600 });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: 'runbook-locks',
      Item: {
        pk: { S: lock.key },
        owner: { S: lock.owner },
        procedure: { S: 'production-deployment' },
        acquiredAt: { S: '2026-11-30T08:00:00.000Z' },
        expiresAt: { N: String(nowEpoch + 3600) },
        ttl: { N: String(nowEpoch + 3600) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR expiresAt < :now',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': { S: lock.owner }, ':now': { N: String(nowEpoch) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('takes the `also` keys too, under the same owner, and gives back what it took when one is held', async () => {
    // Given the database's lock and two services' locks, the second held by a deployment
    const also = ['ecs:c/app', 'ecs:c/worker'];
    const db = { ...lock, key: 'rds:enterprise-prod-db', procedure: 'db-restore', also };
    dynamodbMock.on(PutItemCommand).resolves({});
    dynamodbMock.on(DeleteItemCommand).resolves({});
    // When all are free, then all are taken, in order
    expect(await invoke(acquireLock, { ...event, lock: db }, clients)).toEqual({
      key: db.key,
      owner: lock.owner,
      expiresAt: nowEpoch + 3600,
      also,
    });
    const keys = () => dynamodbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.pk?.S);
    expect(keys()).toEqual([db.key, ...also]);
    expect(dynamodbMock.commandCalls(DeleteItemCommand)).toEqual([]);
    // When the last is held, then LockHeld names it, and the two taken are given back, newest first
    dynamodbMock.reset();
    const held = new ConditionalCheckFailedException({
      message: 'held',
      $metadata: {},
      Item: { owner: { S: 'run-9' }, procedure: { S: 'production-deployment' }, acquiredAt: { S: 'then' } },
    });
    dynamodbMock.on(PutItemCommand).callsFake((input) => {
      if (input.Item.pk.S === 'ecs:c/worker') throw held;
      return {};
    });
    dynamodbMock.on(DeleteItemCommand).rejects(throttled());
    await expect(invoke(acquireLock, { ...event, lock: db }, clients)).rejects.toMatchObject({
      name: 'LockHeld',
      message: 'ecs:c/worker is locked by run-9 (production-deployment) since then',
    });
    expect(dynamodbMock.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual(
      ['ecs:c/app', db.key].map((key) => ({
        TableName: 'runbook-locks',
        Key: { pk: { S: key } },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: lock.owner } },
      })),
    );
  });

  it('throws LockHeld naming the run, procedure and time of the holder', async () => {
    // Given
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rollback:run-0';
    dynamodbMock.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: {
          pk: { S: lock.key },
          owner: { S: other },
          procedure: { S: 'rollback' },
          acquiredAt: { S: '2026-11-30T07:55:00.000Z' },
        },
      }),
    );

    // When
    const acquired = invoke(acquireLock, event, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'LockHeld',
      message: `${lock.key} is locked by ${other} (rollback) since 2026-11-30T07:55:00.000Z`,
    });
    expect(dynamodbMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('throws LockHeld without holder details when the exception carries no item', async () => {
    // Given
    dynamodbMock
      .on(PutItemCommand)
      .rejects(awsError('ConditionalCheckFailedException', 'The conditional request failed'));

    // When
    const acquired = invoke(acquireLock, event, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'LockHeld',
      message: `${lock.key} is locked by another run (unknown procedure) since an unknown time`,
    });
  });

  it('surfaces throttling as TransientAwsError so the state machine retries', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(throttled());

    // When
    const acquired = invoke(acquireLock, event, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB PutItem (lock): ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(awsError('ResourceNotFoundException', 'Table not found'));

    // When
    const acquired = invoke(acquireLock, event, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Table not found',
    });
  });

  it('rejects a TTL under a minute as InvalidInput naming the field, without calling DynamoDB', async () => {
    // Given
    const invalid = { ...event, ttlSeconds: 30 };

    // When
    const acquired = invoke(acquireLock, invalid, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^acquire-lock: ttlSeconds: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects a lock without an owner as InvalidInput naming lock.owner', async () => {
    // Given
    const invalid = { ...event, lock: { key: lock.key, procedure: lock.procedure } };

    // When
    const acquired = invoke(acquireLock, invalid, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('lock.owner:'),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });
});

describe('acquire-lock joining a deployment’s lock (its own rollback)', () => {
  const member = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:rb-1';
  const joining = {
    ...event,
    lock: { ...lock, procedure: 'rollback', join: true, joinToken: 'token-1', member },
  };

  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('joins by consuming the token the deployment wrote onto its lock, and writes nothing else', async () => {
    // Given
    dynamodbMock.on(UpdateItemCommand).resolves({});

    // When
    const result = await invoke(acquireLock, joining, clients);

    // Then
    expect(result).toEqual({ key: lock.key, owner: lock.owner, joined: true });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      TableName: 'runbook-locks',
      Key: { pk: { S: lock.key } },
      UpdateExpression: 'SET joinedBy = :me REMOVE joinToken',
      ConditionExpression: '#owner = :owner AND joinToken = :token OR #owner = :owner AND joinedBy = :me',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':owner': { S: lock.owner },
        ':token': { S: 'token-1' },
        ':me': { S: member },
      },
    });
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('joins again on a retry of the same rollback: the token was exchanged for its id', async () => {
    // Given a lock whose token this rollback already consumed (its first answer was lost)
    const dynamodb = new SimulatedDynamoDb('runbook-locks');
    dynamodb.putItem({
      TableName: 'runbook-locks',
      Item: { pk: { S: lock.key }, owner: { S: lock.owner }, joinToken: { S: 'token-1' } },
    });
    const send = (command: { input: never }) => Promise.resolve(dynamodb.updateItem(command.input));
    const simulated = { ...clients, dynamodb: { send } as never };

    // When it joins twice, and another rollback tries the same token
    const first = await invoke(acquireLock, joining, simulated);
    const retry = await invoke(acquireLock, joining, simulated);
    const other = invoke(
      acquireLock,
      { ...joining, lock: { ...joining.lock, member: 'someone-else' } },
      simulated,
    );

    // Then
    expect([first, retry]).toEqual([
      { key: lock.key, owner: lock.owner, joined: true },
      { key: lock.key, owner: lock.owner, joined: true },
    ]);
    await expect(other).rejects.toMatchObject({ name: 'LockHeld' });
  });

  it('refuses with LockHeld when the deployment does not hold the lock, or the token is wrong or used', async () => {
    // Given
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // When
    const joined = invoke(acquireLock, joining, clients);

    // Then
    await expect(joined).rejects.toMatchObject({
      name: 'LockHeld',
      message: expect.stringContaining(`was not handed over to this rollback by ${lock.owner}`),
    });
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('surfaces throttling while joining as TransientAwsError, not as a lock held by another', async () => {
    // Given
    dynamodbMock.on(UpdateItemCommand).rejects(throttled());

    // When
    const joined = invoke(acquireLock, joining, clients);

    // Then
    await expect(joined).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB UpdateItem (lock): ThrottlingException: Rate exceeded',
    });
  });

  it('names what it can of a holder whose item lacks fields', async () => {
    // Given a lock item written by hand, without owner, procedure or time
    dynamodbMock
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item: { pk: { S: lock.key } } }),
      );

    // When
    const acquired = invoke(acquireLock, event, clients);

    // Then
    await expect(acquired).rejects.toMatchObject({
      name: 'LockHeld',
      message: `${lock.key} is locked by another run (unknown procedure) since an unknown time`,
    });
  });
});
