// IAM: passing the configured task roles to ECS tasks, and no other role to any other service.
import { allow, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantIam: Grant = (fn, actions, { config }) => {
  const roles = unique(servicesOf(config).flatMap((s) => s.taskRoleArns));
  for (const action of actions) {
    if (action !== 'iam:PassRole') unknownAction(fn, action);
    allow(fn, [action], roles, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  }
};
