// CloudWatch Logs: filtering the events of the log groups the health checks name. IAM names a log
// group with and without the `:*` of its streams; the pessimistic reading grants both.
import { acknowledge, allow, arn, type Grant, unique, unknownAction } from './grant.ts';

export const grantLogs: Grant = (fn, actions, { config }) => {
  const groups = unique(
    Object.values(config.environments).flatMap((env) => env.healthCheck.logs.map((l) => l.logGroup)),
  );
  for (const action of actions) {
    if (action !== 'logs:FilterLogEvents') unknownAction(fn, action);
    allow(
      fn,
      [action],
      groups.flatMap((g) => [arn(fn, 'logs', `log-group:${g}`), arn(fn, 'logs', `log-group:${g}:*`)]),
    );
    for (const group of groups)
      acknowledge(
        fn,
        `IAM5[Resource::arn:<AWS::Partition>:logs:${config.region}:${config.account}:log-group:${group}:*]`,
        'logs:FilterLogEvents on a configured log group, whose ARN ends with :* (its streams).',
      );
  }
};
