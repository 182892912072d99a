// A worker's permissions: the IAM actions it declares, each granted by the module of its AWS service.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { grantAutoScaling } from './autoscaling.ts';
import { grantCloudTrail } from './cloudtrail.ts';
import { grantCloudWatch } from './cloudwatch.ts';
import { grantDynamoDb } from './dynamodb.ts';
import { grantEc2 } from './ec2.ts';
import { grantEcs } from './ecs.ts';
import { grantElasticLoadBalancing } from './elasticloadbalancing.ts';
import { type Grant, type GrantContext, unknownAction } from './grant.ts';
import { grantIam } from './iam.ts';
import { grantKms } from './kms.ts';
import { grantLogs } from './logs.ts';
import { grantRds } from './rds.ts';
import { grantS3 } from './s3.ts';
import { grantSns } from './sns.ts';
import { grantStates } from './states.ts';

export type { GrantContext };

const BY_SERVICE: Record<string, Grant> = {
  dynamodb: grantDynamoDb,
  sns: grantSns,
  ecs: grantEcs,
  elasticloadbalancing: grantElasticLoadBalancing,
  cloudwatch: grantCloudWatch,
  rds: grantRds,
  iam: grantIam,
  kms: grantKms,
  states: grantStates,
  cloudtrail: grantCloudTrail,
  s3: grantS3,
  ec2: grantEc2,
  logs: grantLogs,
  'application-autoscaling': grantAutoScaling,
};

export function grantActions(
  fn: lambda.Function,
  actions: readonly string[],
  context: GrantContext,
  everyResource: readonly string[] = [],
): void {
  const byService = new Map<string, string[]>();
  for (const action of actions) {
    const service = action.split(':')[0] ?? '';
    byService.set(service, [...(byService.get(service) ?? []), action]);
  }
  for (const [service, own] of byService) {
    const grant = BY_SERVICE[service];
    if (!grant) unknownAction(fn, own[0] ?? service);
    grant(fn, own, context, actions, everyResource);
  }
}
