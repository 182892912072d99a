// The AWS clients a worker may use, built once per Lambda container (lazily: only those a worker touches).
// Workers receive them as an argument; the rehearsal passes clients backed by the simulated account.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';

export interface Clients {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

type ClientConfig = ConstructorParameters<typeof ECSClient>[0];

/** Real SDK clients with the given config (region and credentials from the environment by default). */
export function createClients(config: ClientConfig = {}): Clients {
  const cache: Partial<Record<keyof Clients, unknown>> = {};
  const lazy =
    <K extends keyof Clients>(name: K, make: () => Clients[K]) =>
    () =>
      (cache[name] ??= make()) as Clients[K];
  const factories = {
    ecs: lazy('ecs', () => new ECSClient(config)),
    elb: lazy('elb', () => new ElasticLoadBalancingV2Client(config)),
    rds: lazy('rds', () => new RDSClient(config)),
    cloudwatch: lazy('cloudwatch', () => new CloudWatchClient(config)),
    sns: lazy('sns', () => new SNSClient(config)),
    dynamodb: lazy('dynamodb', () => new DynamoDBClient(config)),
  };
  return {
    get ecs() {
      return factories.ecs();
    },
    get elb() {
      return factories.elb();
    },
    get rds() {
      return factories.rds();
    },
    get cloudwatch() {
      return factories.cloudwatch();
    },
    get sns() {
      return factories.sns();
    },
    get dynamodb() {
      return factories.dynamodb();
    },
  };
}
