// CloudWatch: reading the alarms the config names for its services.
import { allow, arn, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantCloudWatch: Grant = (fn, actions, { config }) => {
  const alarms = unique(
    servicesOf(config).flatMap((s) => s.alarms.map((a) => arn(fn, 'cloudwatch', `alarm:${a}`))),
  );
  for (const action of actions) {
    if (action !== 'cloudwatch:DescribeAlarms') unknownAction(fn, action);
    allow(fn, [action], alarms);
  }
};
