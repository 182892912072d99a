// Registered once for every test file: the engine polyfill and the aws-sdk-client-mock matchers.
import '../rehearsal/polyfill.ts';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
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
import { afterAll, expect } from 'vitest';

expect.extend(allCustomMatcher);

// Files share their worker's modules (vitest.config.ts). aws-sdk-client-mock stubs a client class's
// send on its prototype; when a file ends its stubs go, so that the next file (a mock of its own, or
// the simulated account's real clients) starts from the SDK as it is.
const CLIENTS = [
  ApplicationAutoScalingClient,
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
afterAll(() => {
  for (const client of CLIENTS) (client.prototype.send as { restore?: () => void }).restore?.();
});
