// RDS: the pre-deploy snapshots of the configured databases. Their names carry the run, so they
// cannot be known at deploy time: the workers may touch only snapshots named pre-deploy-*, list
// those of the configured databases, and delete only the ones this runbook tagged as its own.
import { PRE_DEPLOY, SNAPSHOT_TAGS } from '../../tasks/create-snapshot.ts';
import {
  acknowledge,
  allow,
  arn,
  type Grant,
  type GrantContext,
  servicesOf,
  unique,
  unknownAction,
} from './grant.ts';

export const grantRds: Grant = (fn, actions, { config }) => {
  // RDS authorizes an instance's ARN in lower case, whatever case it was created with.
  const databases = unique([
    ...servicesOf(config).flatMap((s) => (s.database ? [s.database.toLowerCase()] : [])),
    ...databasesOf(config).map((d) => d.instance.toLowerCase()),
  ]);
  if (databases.length === 0) return;
  const preDeploySnapshots = arn(fn, 'rds', 'snapshot:pre-deploy-*');
  // A backup's snapshots are named manual-<instance>-..., as the runbook names them.
  const backupSnapshots = databasesOf(config).map((d) =>
    arn(fn, 'rds', `snapshot:manual-${d.instance.toLowerCase()}-*`),
  );
  const ours = [preDeploySnapshots, ...backupSnapshots];
  const instances = databases.map((d) => arn(fn, 'rds', `db:${d}`));
  for (const action of actions) {
    switch (action) {
      case 'rds:CreateDBSnapshot':
        allow(fn, [action], [...instances, ...ours]);
        break;
      case 'rds:AddTagsToResource':
        allow(fn, [action], ours);
        break;
      case 'rds:DescribeDBSnapshots':
        // One snapshot by its name, or the snapshots of a configured database (the retention's list).
        allow(fn, [action], [...ours, ...instances]);
        break;
      case 'rds:DescribeDBInstances':
        allow(fn, [action], instances);
        break;
      case 'rds:StartExportTask':
        // Only a backup's own snapshots are exported.
        allow(fn, [action], backupSnapshots);
        break;
      case 'rds:DescribeExportTasks':
        // DescribeExportTasks names an export task, which IAM has no resource type for.
        allow(fn, [action], ['*']);
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
  for (const db of databasesOf(config))
    acknowledge(
      fn,
      `IAM5[Resource::arn:<AWS::Partition>:rds:${config.region}:${config.account}:snapshot:manual-${db.instance.toLowerCase()}-*]`,
      "A backup's snapshot is named manual-<instance>-<stamp>-<run>: the name carries the run, so it cannot be known at deploy time.",
    );
};

/** Every database the config configures for the database procedures, across environments. */
const databasesOf = (config: GrantContext['config']) =>
  Object.values(config.environments).flatMap((env) => Object.values(env.databases));
