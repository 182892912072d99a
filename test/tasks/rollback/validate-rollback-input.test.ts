import { describe, expect, it } from 'vitest';
import { resolveRollback, validateRollbackInput } from '../../../tasks/rollback/validate-rollback-input.ts';
import {
  type Catalogue,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_RESOURCE_USAGE,
} from '../../../tasks/schemas/catalogue.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const clients = testClients();

const catalogue: Catalogue = {
  account: '123456789012',
  region: 'us-east-1',
  ciPrincipals: [],
  environments: {
    prod: {
      policy: {
        approvalRequired: true,
        approvalTimeoutMinutes: 60,
        approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
        snapshotRequired: true,
        snapshotRetention: { keepNewest: 20, minAgeDays: 14 },
        digestPinnedImages: true,
        changeRequestRequired: false,
        maintenancePage: false,
        bakeMinutes: 30,
        bakeWithoutAlarms: false,
        scaleDownApprovalFraction: 0.5,
      },
      approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_*/alice'],
      requiredApprovals: 1,
      procedureApprovals: {},
      databases: {},
      healthCheck: DEFAULT_HEALTH_CHECK,
      resourceUsage: DEFAULT_RESOURCE_USAGE,
      services: {
        app: {
          cluster: 'enterprise-prod-cluster',
          service: 'app-service',
          containerName: 'app',
          maintenancePage: { service: 'maintenance' },
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
          targetType: 'ip',
          database: 'enterprise-prod-db',
          alarms: ['app-5xx'],
          allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
          desiredCount: { min: 2, max: 10 },
          taskRoleArns: [],
        },
      },
    },
  },
};
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:rollback:rb-1',
  name: 'rb-1',
  startTime: '2026-11-30T09:00:00.000Z',
};
const parent = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';

const parents = ['runbook-production-deployment'];
const event = (input: unknown) => ({ input, catalogue, execution, parents });

describe('validate-rollback-input', () => {
  it('resolves a stand-alone rollback without a task definition (the known-good one is looked up later)', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', reason: '5xx after release', requestedBy: 'bob' };

    // When
    const request = await invoke(validateRollbackInput, event(input), clients);

    // Then
    expect(request).toEqual({
      procedure: 'rollback',
      environment: 'prod',
      service: 'app',
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
      targetType: 'ip',
      containerName: 'app',
      imagePolicy: {
        digestPinned: true,
        allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
      },
      taskDefinition: null,
      desiredCount: null,
      maintenancePage: null,
      reason: '5xx after release',
      requestedBy: 'bob',
      lock: {
        key: 'ecs:enterprise-prod-cluster/app-service',
        owner: execution.id,
        procedure: 'rollback',
        join: false,
        joinToken: null,
        member: null,
      },
      parentExecution: null,
    });
  });

  it('runs under the parent’s lock when production-deployment starts it, restoring its baseline count as it was', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      taskDefinition: previous,
      desiredCount: 12,
      reason: 'TargetsUnhealthy',
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent,
      joinToken: 'token-1',
      maintenancePage: { cluster: 'enterprise-prod-cluster', service: 'maintenance' },
    };

    // When
    const request = await invoke(validateRollbackInput, event(input), clients);

    // Then
    expect(request).toMatchObject({
      taskDefinition: previous,
      desiredCount: 12,
      maintenancePage: { cluster: 'enterprise-prod-cluster', service: 'maintenance' },
      requestedBy: null,
      lock: {
        key: 'ecs:enterprise-prod-cluster/app-service',
        owner: parent,
        procedure: 'rollback',
        join: true,
        joinToken: 'token-1',
        member: execution.id,
      },
      parentExecution: parent,
    });
  });

  it('accepts a null maintenance page (a deployment that did not switch it on)', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      reason: 'x',
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent,
      joinToken: 'token-1',
      maintenancePage: null,
    };

    // When
    const request = await invoke(validateRollbackInput, event(input), clients);

    // Then
    expect(request.maintenancePage).toBeNull();
  });

  it('requires a reason, naming the field', async () => {
    // Given
    const input = { environment: 'prod', service: 'app' };

    // When
    const resolved = invoke(validateRollbackInput, event(input), clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid input: reason: /),
    });
  });

  it('refuses unknown fields', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', reason: 'x', force: true };

    // When
    const resolved = invoke(validateRollbackInput, event(input), clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('force'),
    });
  });

  it('refuses a task definition that is not an ARN', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', reason: 'x', taskDefinition: 'app:41' };

    // When
    const resolved = invoke(validateRollbackInput, event(input), clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('taskDefinition: must be a task definition ARN'),
    });
  });

  it.each([
    [
      'environment',
      { environment: 'staging', service: 'app' },
      "environment: 'staging' is not configured (known: prod)",
    ],
    [
      'service',
      { environment: 'prod', service: 'web' },
      "service: 'web' is not configured in prod (known: app)",
    ],
  ])('refuses an unknown %s, listing the known ones', async (_, target, message) => {
    // Given
    const input = { ...target, reason: 'x' };

    // When
    const resolved = invoke(validateRollbackInput, event(input), clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `Invalid input: ${message}`,
    });
  });

  it('refuses a task definition of another account or region and a count out of bounds a person asked for, naming both', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      reason: 'x',
      taskDefinition: 'arn:aws:ecs:eu-west-1:210987654321:task-definition/app:41',
      desiredCount: 11,
    };

    // When
    const resolved = invoke(validateRollbackInput, event(input), clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Invalid input: taskDefinition: must belong to account 123456789012 in us-east-1; ' +
        'desiredCount: must be between 2 and 10 for app',
    });
  });

  it('refuses a catalogue that does not match its schema, naming the field', async () => {
    // Given
    const broken = {
      input: { environment: 'prod', service: 'app', reason: 'x' },
      catalogue: { ...catalogue, account: '42' },
      execution,
    };

    // When
    const resolved = invoke(validateRollbackInput, broken, clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'validate-rollback-input: catalogue.account: must be a 12-digit AWS account id',
    });
  });

  it('resolves the same request when called directly (as the CLI does)', () => {
    // Given
    const input = { environment: 'prod', service: 'app', reason: 'x', desiredCount: 2 };

    // When
    const request = resolveRollback(input, catalogue, execution, parents);

    // Then
    expect(request).toMatchObject({ desiredCount: 2, parentExecution: null });
  });
});

describe('resolveRollback and the deployment said to have started it', () => {
  const input = { environment: 'prod', service: 'app', reason: '5xx after release' };

  it('refuses a parent that is not a production-deployment execution of this account and region', () => {
    // Given a console user setting the field by hand to another state machine's execution
    const forged = {
      ...input,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
        'arn:aws:states:us-east-1:123456789012:execution:something-else:x',
    };

    // When
    const attempt = () => resolveRollback(forged, catalogue, execution, parents);

    // Then
    expect(attempt).toThrow(
      /AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: only an execution of runbook-production-deployment in this account and region/,
    );
  });

  it.each([
    ['another region', 'arn:aws:states:eu-west-1:123456789012:execution:runbook-production-deployment:x'],
    ['another account', 'arn:aws:states:us-east-1:999999999999:execution:runbook-production-deployment:x'],
    [
      'another kind of resource',
      'arn:aws:states:us-east-1:123456789012:stateMachine:runbook-production-deployment:x',
    ],
    ['another service', 'arn:aws:lambda:us-east-1:123456789012:execution:runbook-production-deployment:x'],
    ['no execution name', 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:'],
    ['extra segments', 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:x:y'],
    ['a rollback run', 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:x'],
    ['no arn prefix', 'urn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:x'],
    [
      'an unknown partition',
      'arn:gcp:states:us-east-1:123456789012:execution:runbook-production-deployment:x',
    ],
    [
      'a partition with a prefix',
      'arn:xaws:states:us-east-1:123456789012:execution:runbook-production-deployment:x',
    ],
    [
      'a partition with a bad suffix',
      'arn:aws_1:states:us-east-1:123456789012:execution:runbook-production-deployment:x',
    ],
  ])('refuses a parent of %s', (_what, arn) => {
    const forged = { ...input, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn, joinToken: 't' };
    expect(() => resolveRollback(forged, catalogue, execution, parents)).toThrow(
      'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: only an execution of runbook-production-deployment in this account and region',
    );
  });

  it('accepts a parent in another AWS partition naming this account and region', () => {
    const china = {
      ...input,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent.replace(':aws:', ':aws-cn:'),
      joinToken: 't',
    };
    expect(resolveRollback(china, catalogue, execution, parents).parentExecution).toContain(':aws-cn:');
  });

  it.each([
    ['another cluster', { cluster: 'other-cluster', service: 'maintenance' }],
    ['another service', { cluster: 'enterprise-prod-cluster', service: 'app-service' }],
  ])('refuses a maintenance page of %s: only the service’s own page is switched off', (_what, page) => {
    const forged = {
      ...input,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent,
      joinToken: 't',
      maintenancePage: page,
    };
    expect(() => resolveRollback(forged, catalogue, execution, parents)).toThrow(
      "maintenancePage: must be app's maintenance page (enterprise-prod-cluster/maintenance)",
    );
  });

  it('refuses a maintenance page for a service that has none configured', () => {
    const bare = structuredClone(catalogue);
    const app = bare.environments.prod?.services.app;
    if (app) delete app.maintenancePage;
    const forged = {
      ...input,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent,
      joinToken: 't',
      maintenancePage: { cluster: 'enterprise-prod-cluster', service: 'maintenance' },
    };
    expect(() => resolveRollback(forged, bare, execution, parents)).toThrow(
      'maintenancePage: app has no maintenance page configured',
    );
  });

  it('refuses any parent where no procedure runs the rollback nested', () => {
    const named = { ...input, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent, joinToken: 't' };
    expect(() => resolveRollback(named, catalogue, execution, [])).toThrow(
      'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: no procedure starts a rollback as its parent',
    );
  });

  it('requires the join token exactly when a deployment is named as the parent', () => {
    // Given a parent without a token, and a token without a parent
    const noToken = { ...input, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent };
    const noParent = { ...input, joinToken: 'token-1' };

    // When / Then
    for (const bad of [noToken, noParent]) {
      expect(() => resolveRollback(bad, catalogue, execution, parents)).toThrow(
        /joinToken: given exactly when the procedure that runs the rollback starts it/,
      );
    }
  });

  it('names every problem at once', () => {
    // Given an unknown field and a desired count out of bounds
    const bad = { ...input, desiredCount: 99, force: true };

    // When
    const attempt = () => resolveRollback(bad, catalogue, execution, parents);

    // Then
    expect(attempt).toThrow(/Unrecognized key: "force"/);
    expect(attempt).toThrow(/desiredCount: must be between/);
  });
});
