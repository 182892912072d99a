// IAM: passing the configured task roles to ECS tasks and the export role to RDS's export service,
// and no other role to any other service.
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
  const roles = unique(servicesOf(config).flatMap((s) => s.taskRoleArns));
  allow(fn, ['iam:PassRole'], roles, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
};
