// RDS: the pre-deploy snapshots of the configured databases. Their names carry the run, so they
// cannot be known at deploy time: the workers may touch only snapshots named pre-deploy-*, list
// those of the configured databases, and delete only the ones this runbook tagged as its own.
import { PRE_DEPLOY, SNAPSHOT_TAGS } from '../../tasks/create-snapshot.ts';
import { acknowledge, allow, arn, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantRds: Grant = (fn, actions, { config }) => {
  // RDS authorizes an instance's ARN in lower case, whatever case it was created with.
  const databases = unique(servicesOf(config).flatMap((s) => (s.database ? [s.database.toLowerCase()] : [])));
  if (databases.length === 0) return;
  const preDeploySnapshots = arn(fn, 'rds', 'snapshot:pre-deploy-*');
  const instances = databases.map((d) => arn(fn, 'rds', `db:${d}`));
  for (const action of actions) {
    switch (action) {
      case 'rds:CreateDBSnapshot':
        allow(fn, [action], [...instances, preDeploySnapshots]);
        break;
      case 'rds:AddTagsToResource':
        allow(fn, [action], [preDeploySnapshots]);
        break;
      case 'rds:DescribeDBSnapshots':
        // One snapshot by its name, or the snapshots of a configured database (the retention's list).
        allow(fn, [action], [preDeploySnapshots, ...instances]);
        break;
      case 'rds:DeleteDBSnapshot':
        allow(fn, [action], [preDeploySnapshots], {
          StringEquals: { [`rds:snapshot-tag/${SNAPSHOT_TAGS.purpose}`]: PRE_DEPLOY },
        });
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
