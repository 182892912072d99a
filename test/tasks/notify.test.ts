import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notify, readableCause } from '../../tasks/notify.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const snsMock = mockClient(SNSClient);
const clients = testClients();

const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-notifications';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1';
const base = {
  topicArn,
  procedure: 'production-deployment',
  executionId,
  environment: 'prod',
  service: 'app',
};
const lambdaCause = JSON.stringify({
  errorType: 'TargetsUnhealthy',
  errorMessage: 'only 1 of 2 new targets of app-service became healthy within 20 polls',
  trace: ['TargetsUnhealthy: only 1 of 2 ...', '    at run (/var/task/index.mjs:1:1)'],
});

const attributes = (event: string, severity: string) => ({
  event: { DataType: 'String', StringValue: event },
  severity: { DataType: 'String', StringValue: severity },
});

describe('notify', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('announces a start as info, with no cause', async () => {
    // Given
    const event = { ...base, event: 'started' };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toEqual({ event: 'started', severity: 'info', cause: null });
    const sent = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(sent).toStrictEqual([
      {
        TopicArn: topicArn,
        Subject: '[INFO] production-deployment started: app in prod',
        Message: `production-deployment of app in prod started.\nExecution: ${executionId}`,
        MessageAttributes: attributes('started', 'info'),
      },
    ]);
  });

  it('shows text from input harmlessly: no control character reaches the Subject or a line of its own', async () => {
    // Given a rejected input whose service name carries an ESC sequence and a forged line
    const event = {
      topicArn,
      procedure: 'production-deployment',
      executionId,
      event: 'failed',
      input: { environment: 'prod', service: 'app\u001b[31m\nApproved by: security' },
      failure: { Error: 'InvalidInput', Cause: 'Invalid input: service: not configured' },
    };
    // When
    await invoke(notify, event, clients);
    // Then the controls are shown as escapes, and the body has only the notice's own lines
    const [sent] = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(sent?.Subject).toBe(
      '[WARNING] production-deployment failed: app\\x1b[31m\\nApproved by: security in prod',
    );
    expect(sent?.Message?.split('\n')).toEqual([
      'Invalid input: service: not configured',
      `Execution: ${executionId}`,
    ]);
  });

  it('announces a success as info with its detail on its own line', async () => {
    // Given
    const event = { ...base, event: 'succeeded', detail: 'app:41 -> app:42; snapshot pre-deploy-app-1' };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toEqual({ event: 'succeeded', severity: 'info', cause: null });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[INFO] production-deployment succeeded: app in prod',
      Message: [
        'production-deployment of app in prod succeeded.',
        'app:41 -> app:42; snapshot pre-deploy-app-1',
        `Execution: ${executionId}`,
      ].join('\n'),
      MessageAttributes: attributes('succeeded', 'info'),
    });
  });

  it('announces a failure as warning, with a plain cause', async () => {
    // Given
    const event = {
      ...base,
      event: 'failed',
      failure: {
        Error: 'PreflightFailed',
        Cause: 'service app-service is not steady: 1 running of 2 desired',
      },
    };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    const cause = 'service app-service is not steady: 1 running of 2 desired';
    expect(result).toEqual({ event: 'failed', severity: 'warning', cause });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[WARNING] production-deployment failed: app in prod',
      Message: `${cause}\nExecution: ${executionId}`,
      MessageAttributes: attributes('failed', 'warning'),
    });
  });

  it('turns a Lambda-style JSON cause into its error message', async () => {
    // Given
    const event = { ...base, event: 'failed', failure: { Error: 'TargetsUnhealthy', Cause: lambdaCause } };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toEqual({
      event: 'failed',
      severity: 'warning',

      cause: 'only 1 of 2 new targets of app-service became healthy within 20 polls',
    });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.not.stringContaining('errorType'),
    });
  });

  it('says so when the failure carries no cause', async () => {
    // Given
    const event = { ...base, event: 'failed', failure: { Error: 'States.Timeout' } };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toMatchObject({ cause: 'no cause given' });
  });

  it('announces a failure without a caught error with no cause', async () => {
    // Given
    const event = { ...base, event: 'failed' };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toEqual({ event: 'failed', severity: 'warning', cause: null });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: `production-deployment of app in prod failed.\nExecution: ${executionId}`,
    });
  });

  it('words the cause of a rolled-back deployment: why, and what was restored', async () => {
    // Given
    const event = {
      ...base,
      event: 'rolled-back',
      detail: 'restored app:41',
      failure: { Error: 'TargetsUnhealthy', Cause: lambdaCause },
    };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    const cause =
      'production-deployment of app in prod was rolled back after TargetsUnhealthy: ' +
      'only 1 of 2 new targets of app-service became healthy within 20 polls. restored app:41';
    expect(result).toEqual({
      event: 'rolled-back',
      severity: 'warning',

      cause,
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[WARNING] production-deployment rolled-back: app in prod',
      Message: `${cause}\nExecution: ${executionId}`,
      MessageAttributes: attributes('rolled-back', 'warning'),
    });
  });

  it('does not print "null" for a rollback announced without a caught error', async () => {
    // Given
    const event = { ...base, event: 'rolled-back', detail: 'restored app:41' };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toMatchObject({
      cause: 'production-deployment of app in prod was rolled back. restored app:41',
    });
  });

  it('pages when the rollback failed', async () => {
    // Given
    const nested = JSON.stringify({ Error: 'EcsRolledBack', Cause: lambdaCause });
    const event = {
      ...base,
      procedure: 'rollback',
      event: 'rollback-failed',
      detail: 'the service runs app:42',
      failure: { Error: 'States.TaskFailed', Cause: nested },
    };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    const cause =
      'rollback of app in prod did not complete; the service needs a person now. ' +
      'TargetsUnhealthy: only 1 of 2 new targets of app-service became healthy within 20 polls. the service runs app:42';
    expect(result).toEqual({ event: 'rollback-failed', severity: 'page', cause });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[PAGE] rollback rollback-failed: app in prod',
      Message: `${cause}\nExecution: ${executionId}`,
      MessageAttributes: attributes('rollback-failed', 'page'),
    });
  });

  it('pages when a restore cut-over did not complete, with the cause, and without one', async () => {
    // Given
    const event = {
      ...base,
      service: 'main',
      procedure: 'db-restore',
      event: 'cutover-failed',
      detail: 'enterprise-prod-db was renamed back.',
      failure: { Error: 'CutoverFailed', Cause: 'RDS refused the rename' },
    };
    // When
    const result = await invoke(notify, event, clients);
    // Then
    const cause =
      'the cut-over of main in prod to its restored instance did not complete; the database needs a person now. enterprise-prod-db was renamed back. CutoverFailed: RDS refused the rename';
    expect(result).toEqual({ event: 'cutover-failed', severity: 'page', cause });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[PAGE] db-restore cutover-failed: main in prod',
      Message: `${cause}\nExecution: ${executionId}`,
      MessageAttributes: attributes('cutover-failed', 'page'),
    });
    const bare = await invoke(notify, { ...event, failure: undefined, detail: undefined }, clients);
    expect(bare.cause).toBe(
      'the cut-over of main in prod to its restored instance did not complete; the database needs a person now.',
    );
  });

  it('pages a failed maintenance with what went wrong and then the way back', async () => {
    const event = {
      ...base,
      service: 'main',
      procedure: 'rds-maintenance',
      event: 'maintenance-failed',
      detail: 'Restore from snapshot pre-maintenance-x with db-restore.',
      failure: {
        Error: 'MaintenanceFailed',
        Cause: JSON.stringify({
          errorType: 'MaintenanceFailed',
          errorMessage: 'x is incompatible-parameters',
        }),
      },
    };
    const result = await invoke(notify, event, clients);
    const cause =
      'the maintenance of main in prod did not complete, and cannot be undone automatically; the database needs a person now. MaintenanceFailed: x is incompatible-parameters. Restore from snapshot pre-maintenance-x with db-restore.';
    expect(result).toEqual({ event: 'maintenance-failed', severity: 'page', cause });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: '[PAGE] rds-maintenance maintenance-failed: main in prod',
      Message: `${cause}\nExecution: ${executionId}`,
      MessageAttributes: attributes('maintenance-failed', 'page'),
    });
    const bare = await invoke(notify, { ...event, failure: undefined, detail: undefined }, clients);
    expect(bare.cause).toBe(
      'the maintenance of main in prod did not complete, and cannot be undone automatically; the database needs a person now.',
    );
  });

  it('does not print "null" for a failed rollback announced without a caught error', async () => {
    // Given
    const event = { ...base, procedure: 'rollback', event: 'rollback-failed' };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toMatchObject({
      severity: 'page',

      cause: 'rollback of app in prod did not complete; the service needs a person now.',
    });
  });

  it.each([
    [{ service: 'app' }, 'app'],
    [{ environment: 'prod' }, 'unknown service'],
    [{}, 'unknown service'],
  ])('names the target from what it is given (%o)', async (given, target) => {
    // Given
    const event = { topicArn, procedure: 'production-deployment', executionId, event: 'started', ...given };

    // When
    await invoke(notify, event, clients);

    // Then
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: `[INFO] production-deployment started: ${target}`,
    });
  });

  it('keeps the subject within the 100 characters SNS allows', async () => {
    // Given
    const event = { ...base, event: 'started', service: `app-${'x'.repeat(120)}` };

    // When
    await invoke(notify, event, clients);

    // Then
    const subject = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject;
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^\[INFO\] production-deployment started: app-x+$/);
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    snsMock.on(PublishCommand).rejects(throttled());

    // When
    const notified = invoke(notify, { ...base, event: 'started' }, clients);

    // Then
    await expect(notified).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'SNS Publish (started): ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    snsMock.on(PublishCommand).rejects(awsError('NotFoundException', 'Topic does not exist'));

    // When
    const notified = invoke(notify, { ...base, event: 'started' }, clients);

    // Then
    await expect(notified).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
    });
  });

  it.each([
    ['event', { ...base, event: 'paused' }],
    ['failure.Error', { ...base, event: 'failed', failure: { Cause: 'x' } }],
    ['topicArn', { ...base, topicArn: '', event: 'started' }],
  ])('rejects an invalid %s as InvalidInput naming the field, without publishing', async (field, invalid) => {
    // Given
    const event = invalid;

    // When
    const notified = invoke(notify, event, clients);

    // Then
    await expect(notified).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(`notify: ${field}: `),
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});

describe('readableCause', () => {
  it.each([
    ['no cause', undefined, 'no cause given'],
    ['an empty cause', '', 'no cause given'],
    ['a plain message', 'Task timed out after 30.00 seconds', 'Task timed out after 30.00 seconds'],
    [
      'a Lambda error document',
      '{"errorType":"LockHeld","errorMessage":"ecs:c/s is locked"}',
      'ecs:c/s is locked',
    ],
    [
      'a failed nested execution',
      JSON.stringify({
        Error: 'DeploymentFailed',
        Cause: '{"errorType":"DeploymentFailed","errorMessage":"rollout FAILED"}',
      }),
      'rollout FAILED',
    ],
    ['a nested execution without a cause', '{"Error":"States.Timeout"}', 'States.Timeout'],
    ['JSON of another shape', '{"status":500}', '{"status":500}'],
    ['JSON null', 'null', 'null'],
    ['a JSON number', '42', '42'],
  ])('reads %s', (_, cause, expected) => {
    // Given
    const given = cause;

    // When
    const readable = readableCause(given);

    // Then
    expect(readable).toBe(expected);
  });
});

describe('notify about input that never validated', () => {
  it('names the service from the execution input when there is no resolved request', async () => {
    // Given
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const event = {
      topicArn,
      event: 'failed',
      procedure: 'production-deployment',
      executionId,
      input: { environment: 'prod', service: 'app', force: true },
      failure: {
        Error: 'InvalidInput',
        Cause:
          '{"errorType":"InvalidInput","errorMessage":"Invalid input: (input): Unrecognized key: \\"force\\""}',
      },
    };

    // When
    const result = await invoke(notify, event, clients);

    // Then
    expect(result).toMatchObject({
      cause: 'Invalid input: (input): Unrecognized key: "force"',
    });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[WARNING] production-deployment failed: app in prod',
    });
  });
});
