import { describe, expect, it } from 'vitest';
import type { Catalogue } from '../../tasks/schemas.ts';
import { resolveDeployment } from '../../tasks/validate-deployment-input.ts';

const digest = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`;
const catalogue: Catalogue = {
  account: '123456789012',
  region: 'us-east-1',
  environments: {
    prod: {
      policy: {
        approvalRequired: true,
        approvalTimeoutMinutes: 60,
        snapshotRequired: true,
        digestPinnedImages: true,
        changeRequestRequired: false,
        maintenancePage: false,
        bakeMinutes: 30,
      },
      approvers: ['alice'],
      services: {
        app: {
          cluster: 'enterprise-prod-cluster',
          service: 'app-service',
          containerName: 'app',
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
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
    // When
    const request = resolveDeployment(
      { environment: 'prod', service: 'app', image: digest },
      catalogue,
      execution,
    );
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
    });
  });

  it('refuses a tag in production, naming the field', () => {
    expect(() =>
      resolveDeployment(
        {
          environment: 'prod',
          service: 'app',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest',
        },
        catalogue,
        execution,
      ),
    ).toThrow(/image: prod requires an image pinned by digest/);
  });

  it('refuses unknown fields, unknown environments and unknown services', () => {
    expect(() =>
      resolveDeployment(
        { environment: 'prod', service: 'app', image: digest, force: true },
        catalogue,
        execution,
      ),
    ).toThrow(/force/);
    expect(() =>
      resolveDeployment({ environment: 'staging', service: 'app', image: digest }, catalogue, execution),
    ).toThrow(/environment: 'staging' is not configured/);
    expect(() =>
      resolveDeployment({ environment: 'prod', service: 'web', image: digest }, catalogue, execution),
    ).toThrow(/service: 'web' is not configured/);
  });
});
