// Real AWS SDK v3 clients whose requests the simulated account answers: a middleware at the start of
// each client's stack hands the command to the account instead of sending it, so workers run the
// exact code they run on Lambda, with the same command objects and response shapes.
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Clients } from '../../tasks/clients.ts';
import type { Principal } from '../definitions.ts';
import type { SimulatedAccount } from './account.ts';
import type { AwsService } from './service.ts';

interface MiddlewareClient {
  middlewareStack: { add: (...args: never[]) => void };
}

function served<C extends MiddlewareClient>(
  client: C,
  service: AwsService,
  account: SimulatedAccount,
  principal: Principal | undefined,
): C {
  const middleware =
    (_next: unknown, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      const output = account.handle(service, command, structuredClone(args.input), principal);
      return { output: { $metadata: { httpStatusCode: 200 }, ...(output as object) }, response: {} };
    };
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(middleware, {
    step: 'initialize',
    name: 'simulatedAccount',
    priority: 'high',
  });
  return client;
}

/**
 * Clients whose calls the account answers as the principal (a role of the stack, authorized against
 * its policies), or, without one, as the rehearsal itself: an administrator reading or arranging it.
 */
export function simulatedClients(account: SimulatedAccount, region: string, principal?: Principal): Clients {
  const config = { region, credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' } };
  // Each made on first use: a worker uses one or two, and an SDK client is costly to construct.
  const made = new Map<AwsService, unknown>();
  const lazy = <C extends MiddlewareClient>(service: AwsService, make: () => C) => ({
    get: (): C => {
      let client = made.get(service) as C | undefined;
      if (!client) {
        client = served(make(), service, account, principal);
        made.set(service, client);
      }
      return client;
    },
    enumerable: true,
  });
  return Object.defineProperties({} as Clients, {
    ecs: lazy('ecs', () => new ECSClient(config)),
    elb: lazy('elb', () => new ElasticLoadBalancingV2Client(config)),
    rds: lazy('rds', () => new RDSClient(config)),
    cloudwatch: lazy('cloudwatch', () => new CloudWatchClient(config)),
    sns: lazy('sns', () => new SNSClient(config)),
    dynamodb: lazy('dynamodb', () => new DynamoDBClient(config)),
    sfn: lazy('sfn', () => new SFNClient(config)),
    cloudtrail: lazy('cloudtrail', () => new CloudTrailClient(config)),
    s3: lazy('s3', () => new S3Client(config)),
    ec2: lazy('ec2', () => new EC2Client(config)),
    logs: lazy('logs', () => new CloudWatchLogsClient(config)),
    autoscaling: lazy('autoscaling', () => new ApplicationAutoScalingClient(config)),
  });
}
