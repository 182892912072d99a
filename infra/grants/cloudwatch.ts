// CloudWatch: reading the alarms the config names for its services, or, for a worker that reads
// every alarm (the health check's), every alarm of the account and region (alarm:*); and reading
// metrics, which IAM scopes to no resource.
import { acknowledge, allow, arn, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantCloudWatch: Grant = (fn, actions, { config }, _all, everyResource = []) => {
  const alarms = unique(
    servicesOf(config).flatMap((s) => s.alarms.map((a) => arn(fn, 'cloudwatch', `alarm:${a}`))),
  );
  for (const action of actions) {
    if (action === 'cloudwatch:GetMetricData') {
      allow(fn, [action], ['*']);
      acknowledge(
        fn,
        'IAM5[Resource::*]',
        'cloudwatch:GetMetricData supports no resource-level permissions (a metric is no IAM resource); it reads, and changes nothing.',
      );
      continue;
    }
    if (action !== 'cloudwatch:DescribeAlarms') unknownAction(fn, action);
    if (everyResource.includes(action)) {
      allow(fn, [action], [arn(fn, 'cloudwatch', 'alarm:*')]);
      acknowledge(
        fn,
        `IAM5[Resource::arn:<AWS::Partition>:cloudwatch:${config.region}:${config.account}:alarm:*]`,
        'The health check reads the state of every alarm of the account and region to find those in ALARM, as the runbook does; a call naming no alarm is authorized on alarm:*.',
      );
    } else allow(fn, [action], alarms);
  }
};
