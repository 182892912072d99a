// Shared by the worker tests: SDK clients whose `send` the tests mock, and AWS-shaped errors.
import { type Clients, createClients } from '../../tasks/clients.ts';

/** Real SDK clients with static credentials; every call is answered by aws-sdk-client-mock. */
export function testClients(): Clients {
  return createClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
}

/** An error as the SDK throws it: only the name and the message matter to the workers. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** A transient AWS failure the workers must surface as TransientAwsError. */
export const throttled = () => awsError('ThrottlingException', 'Rate exceeded');

/** The policy fields a config must give, set to their least (no approvals, snapshots or bake); override what a test is about. */
export const bareConfigPolicy = (over: Record<string, unknown> = {}) => ({
  approvalRequired: false,
  snapshotRequired: false,
  digestPinnedImages: false,
  bakeMinutes: 0,
  ...over,
});

/** A service's config as the catalogue schema takes it (the defaults left to it); override what a test is about. */
export const bareConfigService = (over: Record<string, unknown> = {}) => ({
  cluster: 'prod-cluster',
  service: 'app-service',
  containerName: 'app',
  targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef',
  allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
  desiredCount: { min: 2, max: 10 },
  ...over,
});
