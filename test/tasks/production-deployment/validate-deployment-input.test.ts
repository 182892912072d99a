import { describe, expect, it } from 'vitest';
import {
  resolveDeployment,
  validateDeploymentInput,
} from '../../../tasks/production-deployment/validate-deployment-input.ts';
import {
  type Catalogue,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_RESOURCE_USAGE,
} from '../../../tasks/schemas/catalogue.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const digest = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`;
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
  id: 'arn:aws:states:us-east-1:123456789012:execution:x:run-1',
  name: 'run-1',
  startTime: '2026-11-30T08:00:00.000Z',
};

describe('resolveDeployment', () => {
  it('resolves a digest-pinned image to the configured service', () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest };

    // When
    const request = resolveDeployment(input, catalogue, execution);

    // Then
    expect(request).toMatchObject({
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      image: digest,
      approvalRequired: true,
      bakeSeconds: 1800,
    });
    expect(request.snapshotId).toMatch(/^pre-deploy-app-202611300800-[0-9a-f]{8}$/);
    expect(request.lock).toEqual({
      key: 'ecs:enterprise-prod-cluster/app-service',
      owner: execution.id,
      procedure: 'production-deployment',
      join: false,
      joinToken: null,
      member: null,
    });
  });

  it('refuses a tag in production, naming the field', () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest',
    };

    // When
    const resolve = () => resolveDeployment(input, catalogue, execution);

    // Then
    expect(resolve).toThrow(/image: prod requires an image pinned by digest/);
  });

  it('refuses unknown fields, unknown environments and unknown services', () => {
    // Given
    const withUnknownField = { environment: 'prod', service: 'app', image: digest, force: true };
    const inStaging = { environment: 'staging', service: 'app', image: digest };
    const ofWeb = { environment: 'prod', service: 'web', image: digest };

    // When
    const resolve = (input: unknown) => () => resolveDeployment(input, catalogue, execution);

    // Then
    expect(resolve(withUnknownField)).toThrow(/force/);
    expect(resolve(inStaging)).toThrow(/environment: 'staging' is not configured/);
    expect(resolve(ofWeb)).toThrow(/service: 'web' is not configured/);
  });

  it('refuses an image with characters no image reference has (a space, a newline), naming the field', () => {
    // Given dev-like rules where tags are allowed, an image with a space and one with a newline
    const resolve = (image: string) => () =>
      resolveDeployment({ environment: 'prod', service: 'app', image }, catalogue, execution);
    // When / Then
    for (const image of [`${digest} x`, `${digest}\n`])
      expect(resolve(image)).toThrow(
        'image: must be an image reference ([registry/]repository[:tag][@sha256:digest])',
      );
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'refuses an environment or a service named %s: only configured names are looked up',
    (name) => {
      // Given names of built-in object properties, as an environment and as a service
      const resolve = (input: unknown) => () => resolveDeployment(input, catalogue, execution);
      // When / Then each is refused as not configured, naming its field
      expect(resolve({ environment: name, service: 'app', image: digest })).toThrow(
        `environment: '${name}' is not configured`,
      );
      expect(resolve({ environment: 'prod', service: name, image: digest })).toThrow(
        `service: '${name}' is not configured in prod`,
      );
    },
  );
});

const clients = testClients();
const prod = catalogue.environments.prod as Catalogue['environments'][string];
const app = prod.services.app as Catalogue['environments'][string]['services'][string];
/** The catalogue with prod's policy and app's settings changed. */
function catalogueWith(
  policy: Partial<typeof prod.policy> = {},
  service: Partial<typeof app> = {},
): Catalogue {
  return {
    ...catalogue,
    environments: {
      prod: { ...prod, policy: { ...prod.policy, ...policy }, services: { app: { ...app, ...service } } },
    },
  };
}
const deployment = (input: unknown, cat: Catalogue = catalogue) =>
  invoke(validateDeploymentInput, { input, catalogue: cat, execution }, clients);
const maintenance = { service: 'maintenance' };
const nextTaskDefinition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';

describe('validate-deployment-input', () => {
  it('resolves the full request the later steps read', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: digest,
      desiredCount: 4,
      changeRequest: 'CHG-1234',
      reason: 'release 1.2.3',
      requestedBy: 'alice',
    };

    // When
    const request = await deployment(input);

    // Then
    expect(request).toEqual({
      procedure: 'production-deployment',
      environment: 'prod',
      service: 'app',
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      containerName: 'app',
      targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
      targetType: 'ip',
      alarms: ['app-5xx'],
      image: digest,
      taskDefinition: null,
      desiredCount: 4,
      desiredCountBounds: { min: 2, max: 10 },
      database: 'enterprise-prod-db',
      snapshotId: expect.stringMatching(/^pre-deploy-app-202611300800-[0-9a-f]{8}$/),
      snapshotRetention: { keepNewest: 20, minAgeDays: 14 },
      maintenancePage: null,
      approvalRequired: true,
      approvalTimeoutSeconds: 3600,
      approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
      approvalRule: {
        approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_*/alice'],
        required: 1,
        neverApprovers: [],
      },
      bakeSeconds: 1800,
      change: `image ${digest}; desired count 4`,
      imagePolicy: {
        digestPinned: true,
        allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
      },
      taskRoleArns: [],
      changeRequest: 'CHG-1234',
      reason: 'release 1.2.3',
      requestedBy: 'alice',
      lock: {
        key: 'ecs:enterprise-prod-cluster/app-service',
        owner: execution.id,
        procedure: 'production-deployment',
        join: false,
        joinToken: null,
        member: null,
      },
    });
  });

  it('names the snapshot the same way for the same run (a redrive) and differently for another run', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest };
    const otherRun = { ...execution, id: `${execution.id}-2` };

    // When
    const first = await deployment(input);
    const again = await deployment(input);
    const other = await invoke(validateDeploymentInput, { input, catalogue, execution: otherRun }, clients);

    // Then
    expect(again.snapshotId).toBe(first.snapshotId);
    expect(other.snapshotId).not.toBe(first.snapshotId);
  });

  it('resolves a registered task definition of the managed account and region instead of an image', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', taskDefinition: nextTaskDefinition };

    // When
    const request = await deployment(input);

    // Then
    expect(request).toMatchObject({ image: null, taskDefinition: nextTaskDefinition });
  });

  it('refuses a task definition of another account or region', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42',
    };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid input: taskDefinition: must belong to account 123456789012 in us-east-1',
    });
  });

  it.each([
    ['both image and task definition', { image: digest, taskDefinition: nextTaskDefinition }],
    ['neither image nor task definition', {}],
  ])('refuses %s, naming the field', async (_, change) => {
    // Given
    const input = { environment: 'prod', service: 'app', ...change };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid input: image: give exactly one of image or taskDefinition',
    });
  });

  it('refuses an image from a registry the service does not allow', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: `docker.io/library/app@sha256:${'a'.repeat(64)}`,
    };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Invalid input: image: registry not allowed for app (allowed: 123456789012.dkr.ecr.us-east-1.amazonaws.com)',
    });
  });

  it('refuses a registry that only starts like an allowed one', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: `123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/app@sha256:${'a'.repeat(64)}`,
    };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('image: registry not allowed for app'),
    });
  });

  it('accepts a tag from an allowed registry where digests are not required', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3',
    };

    // When
    const request = await deployment(input, catalogueWith({ digestPinnedImages: false }));

    // Then
    expect(request.image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3');
  });

  it('refuses a tag from a registry that is not allowed with both reasons at once', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: 'docker.io/library/app:latest' };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(
        /image: prod requires an image pinned by digest.*; image: registry not allowed/,
      ),
    });
  });

  it.each([1, 11])('refuses a desired count of %i outside the service’s bounds', async (desiredCount) => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest, desiredCount };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid input: desiredCount: must be between 2 and 10 for app',
    });
  });

  it('requires a change request where the policy does', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest };

    // When
    const resolved = deployment(input, catalogueWith({ changeRequestRequired: true }));

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid input: changeRequest: prod requires a change request (ticket) for every deployment',
    });
  });

  it('refuses the maintenance page for a service that has none', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest, maintenancePage: true };

    // When
    const resolved = deployment(input);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid input: maintenancePage: app has no maintenance page configured',
    });
  });

  it('switches the maintenance page on when asked, in the service’s cluster unless it names another', async () => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest, maintenancePage: true };

    // When
    const inSameCluster = await deployment(input, catalogueWith({}, { maintenancePage: maintenance }));
    const inOtherCluster = await deployment(
      input,
      catalogueWith({}, { maintenancePage: { cluster: 'edge-cluster', service: 'maintenance' } }),
    );

    // Then
    expect(inSameCluster.maintenancePage).toEqual({
      cluster: 'enterprise-prod-cluster',
      service: 'maintenance',
    });
    expect(inOtherCluster.maintenancePage).toEqual({ cluster: 'edge-cluster', service: 'maintenance' });
  });

  it('follows the policy’s maintenance-page default unless the input says otherwise', async () => {
    // Given
    const cat = catalogueWith({ maintenancePage: true }, { maintenancePage: maintenance });
    const input = { environment: 'prod', service: 'app', image: digest };

    // When
    const byDefault = await deployment(input, cat);
    const optedOut = await deployment({ ...input, maintenancePage: false }, cat);

    // Then
    expect(byDefault.maintenancePage).toEqual({ cluster: 'enterprise-prod-cluster', service: 'maintenance' });
    expect(optedOut.maintenancePage).toBeNull();
  });

  it.each([
    ['the policy does not require one', catalogueWith({ snapshotRequired: false })],
    ['the service has no database', catalogueWith({}, { database: undefined })],
  ])('takes no snapshot when %s', async (_, cat) => {
    // Given
    const input = { environment: 'prod', service: 'app', image: digest };

    // When
    const request = await deployment(input, cat);

    // Then
    expect(request.snapshotId).toBeNull();
  });

  it('lists every problem of an input at once', async () => {
    // Given
    const input = {
      environment: 'prod',
      service: 'app',
      image: 'docker.io/library/app:latest',
      desiredCount: 50,
      maintenancePage: true,
    };

    // When
    const resolved = deployment(input, catalogueWith({ changeRequestRequired: true }));

    // Then
    const error = await resolved.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidInput' });
    expect((error as Error).message.match(/(image|desiredCount|changeRequest|maintenancePage): /g)).toEqual([
      'image: ',
      'image: ',
      'desiredCount: ',
      'changeRequest: ',
      'maintenancePage: ',
    ]);
  });

  it('refuses an execution without an id, naming the field', async () => {
    // Given
    const event = { input: { environment: 'prod', service: 'app', image: digest }, catalogue, execution: {} };

    // When
    const resolved = invoke(validateDeploymentInput, event, clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^validate-deployment-input: execution\.id: /),
    });
  });

  it('refuses a catalogue with an invalid region, naming the field', async () => {
    // Given
    const event = {
      input: { environment: 'prod', service: 'app', image: digest },
      catalogue: { ...catalogue, region: 'Virginia' },
      execution,
    };

    // When
    const resolved = invoke(validateDeploymentInput, event, clients);

    // Then
    await expect(resolved).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'validate-deployment-input: catalogue.region: must be an AWS region such as us-east-1',
    });
  });
});

describe('resolveDeployment names every problem at once', () => {
  it('reports an unknown field together with the policy problems of the known ones', () => {
    // Given an input with an unknown field, a tag in production and no change request
    const input = {
      environment: 'prod',
      service: 'app',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest',
      force: true,
    };
    const strictCatalogue = {
      ...catalogue,
      environments: {
        prod: {
          ...catalogue.environments.prod,
          policy: { ...catalogue.environments.prod?.policy, changeRequestRequired: true },
        },
      },
    } as Catalogue;

    // When
    const attempt = () => resolveDeployment(input, strictCatalogue, execution);

    // Then
    expect(attempt).toThrow(/Unrecognized key: "force"/);
    expect(attempt).toThrow(/image: prod requires an image pinned by digest/);
    expect(attempt).toThrow(/changeRequest: prod requires a change request/);
  });
});
