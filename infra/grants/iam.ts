// IAM: passing the configured task roles to ECS tasks, the export role to RDS's export service, and
// the databases' monitoring roles to RDS's Enhanced Monitoring, and no other role to any other service.
import { allow, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantIam: Grant = (fn, actions, { config, exports }, workerActions = actions) => {
  for (const action of actions) if (action !== 'iam:PassRole') unknownAction(fn, action);
  // Which role a worker passes follows from the call that passes it: an export, or ECS tasks.
  if (workerActions.includes('rds:StartExportTask')) {
    if (!exports) throw new Error(`${fn.node.id} exports snapshots, and the stack has no export role`);
    allow(fn, ['iam:PassRole'], [exports.role.roleArn], {
      StringEquals: { 'iam:PassedToService': 'export.rds.amazonaws.com' },
    });
    return;
  }
  if (workerActions.includes('rds:ModifyDBInstance')) {
    const monitoring = unique(
      Object.values(config.environments).flatMap((env) =>
        Object.values(env.databases).flatMap((d) => (d.monitoringRoleArn ? [d.monitoringRoleArn] : [])),
      ),
    );
    allow(fn, ['iam:PassRole'], monitoring, {
      StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' },
    });
    return;
  }
  const roles = unique(servicesOf(config).flatMap((s) => s.taskRoleArns));
  allow(fn, ['iam:PassRole'], roles, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
};
