// The AWS clients a worker may use, built once per Lambda container (lazily: only those a worker touches).
// Workers receive them as an argument; the rehearsal passes clients backed by the simulated account.
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

export interface Clients {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly cloudtrail: CloudTrailClient;
  readonly s3: S3Client;
  readonly ec2: EC2Client;
  readonly logs: CloudWatchLogsClient;
  readonly autoscaling: ApplicationAutoScalingClient;
}

type ClientConfig = ConstructorParameters<typeof ECSClient>[0];

/** Real SDK clients with the given config (region and credentials from the environment by default), each built on first use. */
export function createClients(config: ClientConfig = {}): Clients {
  let ecs: ECSClient | undefined;
  let elb: ElasticLoadBalancingV2Client | undefined;
  let rds: RDSClient | undefined;
  let cloudwatch: CloudWatchClient | undefined;
  let sns: SNSClient | undefined;
  let dynamodb: DynamoDBClient | undefined;
  let sfn: SFNClient | undefined;
  let cloudtrail: CloudTrailClient | undefined;
  let s3: S3Client | undefined;
  let ec2: EC2Client | undefined;
  let logs: CloudWatchLogsClient | undefined;
  let autoscaling: ApplicationAutoScalingClient | undefined;
  return {
    get ecs() {
      ecs ??= new ECSClient(config);
      return ecs;
    },
    get elb() {
      elb ??= new ElasticLoadBalancingV2Client(config);
      return elb;
    },
    get rds() {
      rds ??= new RDSClient(config);
      return rds;
    },
    get cloudwatch() {
      cloudwatch ??= new CloudWatchClient(config);
      return cloudwatch;
    },
    get sns() {
      sns ??= new SNSClient(config);
      return sns;
    },
    get dynamodb() {
      dynamodb ??= new DynamoDBClient(config);
      return dynamodb;
    },
    get sfn() {
      sfn ??= new SFNClient(config);
      return sfn;
    },
    get cloudtrail() {
      cloudtrail ??= new CloudTrailClient(config);
      return cloudtrail;
    },
    get s3() {
      s3 ??= new S3Client(config as S3ClientConfig);
      return s3;
    },
    get ec2() {
      ec2 ??= new EC2Client(config);
      return ec2;
    },
    get logs() {
      logs ??= new CloudWatchLogsClient(config);
      return logs;
    },
    get autoscaling() {
      autoscaling ??= new ApplicationAutoScalingClient(config);
      return autoscaling;
    },
  };
}
