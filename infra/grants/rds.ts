// RDS: the pre-deploy snapshots of the configured databases. Their names carry the run, so they
// cannot be known at deploy time: the workers may touch only snapshots named pre-deploy-*, list
// those of the configured databases, and delete only the ones this runbook tagged as its own.
// A restore makes only instances named <instance>-restored-*, never a public one, and renames only
// the configured instances and those it made or put aside (<instance>-pre-restore-*). A backup's
// and a maintenance run's snapshots are named manual-<instance>-* and pre-maintenance-<instance>-*.
import { PRE_DEPLOY, SNAPSHOT_TAGS } from '../../tasks/create-snapshot.ts';
import { asidePrefix, restoredPrefix } from '../../tasks/db-restore/names.ts';
import { preMaintenancePrefix } from '../../tasks/rds-maintenance/validate-rds-maintenance-input.ts';
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

export const grantRds: Grant = (fn, actions, { config }, workerActions = actions) => {
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
  // A maintenance run's snapshot before the change: pre-maintenance-<instance>-...
  const maintenanceSnapshots = databasesOf(config).map((d) =>
    arn(fn, 'rds', `snapshot:${preMaintenancePrefix(d.instance)}*`),
  );
  const ours = [preDeploySnapshots, ...backupSnapshots, ...maintenanceSnapshots];
  const instances = databases.map((d) => arn(fn, 'rds', `db:${d}`));
  const configured = databasesOf(config).map((d) => d.instance);
  const restored = configured.map((d) => arn(fn, 'rds', `db:${restoredPrefix(d)}*`));
  const aside = configured.map((d) => arn(fn, 'rds', `db:${asidePrefix(d)}*`));
  const restores = workerActions.some((a) => a.startsWith('rds:RestoreDBInstance'));
  const anyOf = (type: string) => arn(fn, 'rds', `${type}:*`);
  for (const action of actions) {
    switch (action) {
      case 'rds:CreateDBSnapshot':
        allow(fn, [action], [...instances, ...ours]);
        break;
      case 'rds:AddTagsToResource':
        // Tags at creation: a restore's of the instance it makes, a snapshot's of the snapshot.
        allow(fn, [action], restores ? restored : ours);
        break;
      case 'rds:RestoreDBInstanceFromDBSnapshot':
        // Only into the instance it makes, from any snapshot (a person's manual ones have any name),
        // in the source's groups (read from it at run time); never public.
        allow(fn, [action], [...restored, anyOf('snapshot'), anyOf('og'), anyOf('pg'), anyOf('subgrp')], {
          Bool: { 'rds:PubliclyAccessible': 'false' },
        });
        break;
      case 'rds:RestoreDBInstanceToPointInTime':
        // Only into the instance it makes, from a configured instance's backups; never public.
        allow(fn, [action], [...restored, ...instances, anyOf('og'), anyOf('pg'), anyOf('subgrp')], {
          Bool: { 'rds:PubliclyAccessible': 'false' },
        });
        break;
      case 'rds:ModifyDBInstance':
        allow(fn, [action], [...instances, ...restored, ...aside]);
        break;
      case 'rds:DescribeDBSnapshots':
        // One snapshot by its name (a restore's may be any: RDS's automated ones, a person's), or the
        // snapshots of a configured database (the retention's list). Reads only.
        allow(fn, [action], [anyOf('snapshot'), ...instances]);
        break;
      case 'rds:DescribeDBInstances':
        allow(fn, [action], [...instances, ...restored, ...aside]);
        break;
      case 'rds:StartExportTask':
        // Only a backup's own snapshots are exported.
        allow(fn, [action], backupSnapshots);
        break;
      case 'rds:DescribeDBEngineVersions':
        // RDS's list of engine versions and their upgrade targets names no resource of the account.
        allow(fn, [action], ['*']);
        acknowledge(
          fn,
          'IAM5[Resource::*]',
          "DescribeDBEngineVersions reads RDS's catalogue of engine versions, which has no resource type in IAM.",
        );
        break;
      case 'rds:DescribeEvents':
        // DescribeEvents has no resource type in IAM: it reads RDS's event log of the account.
        allow(fn, [action], ['*']);
        acknowledge(
          fn,
          'IAM5[Resource::*]',
          "DescribeEvents reads RDS's event log (it has no resource type in IAM); the worker asks only for the service's instance.",
        );
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
  const at = `arn:<AWS::Partition>:rds:${config.region}:${config.account}`;
  if (restores || actions.includes('rds:DescribeDBSnapshots'))
    acknowledge(
      fn,
      `IAM5[Resource::${at}:snapshot:*]`,
      'Snapshots are read (and a restore made from one) by name, and a name may be any: RDS names its automated ones, people their manual ones. Describing is read-only; a restore makes only <instance>-restored-* instances, never a public one.',
    );
  if (restores)
    for (const type of ['og', 'pg', 'subgrp'])
      acknowledge(
        fn,
        `IAM5[Resource::${at}:${type}:*]`,
        "A restore reads the source instance's groups and snapshots at run time (a person's manual snapshots have any name); it makes only <instance>-restored-* instances, never a public one.",
      );
  if (restores || actions.includes('rds:ModifyDBInstance') || actions.includes('rds:DescribeDBInstances'))
    for (const d of configured)
      for (const prefix of [restoredPrefix(d), asidePrefix(d)])
        acknowledge(
          fn,
          `IAM5[Resource::${at}:db:${prefix}*]`,
          "A restore's instances are named <instance>-restored-<stamp> and <instance>-pre-restore-<stamp>: the name carries the run's time, so it cannot be known at deploy time.",
        );
  for (const db of databasesOf(config)) {
    acknowledge(
      fn,
      `IAM5[Resource::${at}:snapshot:manual-${db.instance.toLowerCase()}-*]`,
      "A backup's snapshot is named manual-<instance>-<stamp>-<run>: the name carries the run, so it cannot be known at deploy time.",
    );
    acknowledge(
      fn,
      `IAM5[Resource::${at}:snapshot:${preMaintenancePrefix(db.instance)}*]`,
      "A maintenance run's snapshot is named pre-maintenance-<instance>-<stamp>-<run>: the name carries the run, so it cannot be known at deploy time.",
    );
  }
};

/** Every database the config configures for the database procedures, across environments. */
const databasesOf = (config: GrantContext['config']) =>
  Object.values(config.environments).flatMap((env) => Object.values(env.databases));
