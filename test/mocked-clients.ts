// Every SDK client class a test mocks with aws-sdk-client-mock: test/setup.ts removes their stubs
// after each file (files share their worker's modules), and test/contract/mocked-clients.test.ts
// holds the tests to this list.
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
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

export const MOCKED_CLIENTS = [
  ApplicationAutoScalingClient,
  CloudFormationClient,
  CloudTrailClient,
  CloudWatchClient,
  CloudWatchLogsClient,
  DynamoDBClient,
  EC2Client,
  ECSClient,
  ElasticLoadBalancingV2Client,
  RDSClient,
  S3Client,
  SFNClient,
  SNSClient,
];
