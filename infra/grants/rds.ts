// RDS: the pre-deploy snapshots of the configured databases. Their names carry the run, so they
// cannot be known at deploy time: the workers may touch only snapshots named pre-deploy-*.
import { acknowledge, allow, arn, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantRds: Grant = (fn, actions, { config }) => {
  // RDS authorizes an instance's ARN in lower case, whatever case it was created with.
  const databases = unique(servicesOf(config).flatMap((s) => (s.database ? [s.database.toLowerCase()] : [])));
  if (databases.length === 0) return;
  const preDeploySnapshots = arn(fn, 'rds', 'snapshot:pre-deploy-*');
  for (const action of actions) {
    switch (action) {
      case 'rds:CreateDBSnapshot':
        allow(fn, [action], [...databases.map((d) => arn(fn, 'rds', `db:${d}`)), preDeploySnapshots]);
        break;
      case 'rds:AddTagsToResource':
      case 'rds:DescribeDBSnapshots':
        allow(fn, [action], [preDeploySnapshots]);
        break;
      default:
        unknownAction(fn, action);
    }
  }
  acknowledge(
    fn,
    `IAM5[Resource::arn:<AWS::Partition>:rds:${config.region}:${config.account}:snapshot:pre-deploy-*]`,
    'The snapshot workers create and read only snapshots named pre-deploy-*; the name carries the run, so it cannot be known at deploy time.',
  );
};
