// ECS: the configured services (and their maintenance pages), their clusters' tasks, and task
// definitions: DescribeTaskDefinition has no resource-level permissions, and RegisterTaskDefinition's
// resource is the revision it creates, of a family the config does not name (the service's own).
import { maintenancePageOf } from '../../tasks/catalogue.ts';
import { acknowledge, allow, arn, type Grant, servicesOf, unique, unknownAction } from './grant.ts';

export const grantEcs: Grant = (fn, actions, { config }) => {
  const services = servicesOf(config);
  const serviceArns = unique(
    services.flatMap((s) => [
      arn(fn, 'ecs', `service/${s.cluster}/${s.service}`),
      ...[maintenancePageOf(s)].flatMap((page) =>
        page ? [arn(fn, 'ecs', `service/${page.cluster}/${page.service}`)] : [],
      ),
    ]),
  );
  const clusters = unique(services.map((s) => s.cluster));
  const onServices: string[] = [];
  const onTaskDefinitions: string[] = [];
  for (const action of actions) {
    switch (action) {
      case 'ecs:DescribeServices':
      case 'ecs:UpdateService':
        onServices.push(action);
        break;
      case 'ecs:ListTasks':
        allow(fn, [action], ['*'], {
          ArnEquals: { 'ecs:cluster': clusters.map((c) => arn(fn, 'ecs', `cluster/${c}`)) },
        });
        acknowledge(
          fn,
          'IAM5[Resource::*]',
          'ecs:ListTasks has no resource-level permissions; the ecs:cluster condition limits it to the configured clusters.',
        );
        break;
      case 'ecs:DescribeTasks':
        allow(
          fn,
          [action],
          clusters.map((c) => arn(fn, 'ecs', `task/${c}/*`)),
        );
        for (const cluster of clusters) {
          acknowledge(
            fn,
            `IAM5[Resource::arn:<AWS::Partition>:ecs:${config.region}:${config.account}:task/${cluster}/*]`,
            'ecs:DescribeTasks on the tasks of a configured cluster; task ids are not known before the tasks start.',
          );
        }
        break;
      case 'ecs:DescribeContainerInstances':
        allow(
          fn,
          [action],
          clusters.map((c) => arn(fn, 'ecs', `container-instance/${c}/*`)),
        );
        for (const cluster of clusters) {
          acknowledge(
            fn,
            `IAM5[Resource::arn:<AWS::Partition>:ecs:${config.region}:${config.account}:container-instance/${cluster}/*]`,
            'ecs:DescribeContainerInstances on the container instances of a configured cluster (where instance-target tasks run); their ids change as the cluster scales.',
          );
        }
        break;
      case 'ecs:DescribeTaskDefinition':
      case 'ecs:RegisterTaskDefinition':
        onTaskDefinitions.push(action);
        break;
      case 'ecs:TagResource':
        // Only while registering, so the new revision keeps the tags of the one it is made from.
        allow(fn, [action], [arn(fn, 'ecs', 'task-definition/*')], {
          StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
        });
        acknowledge(
          fn,
          `IAM5[Resource::arn:<AWS::Partition>:ecs:${config.region}:${config.account}:task-definition/*]`,
          'ecs:TagResource on task definitions only while registering them (condition ecs:CreateAction = RegisterTaskDefinition), so the new revision keeps its tags.',
        );
        break;
      default:
        unknownAction(fn, action);
    }
  }
  allow(fn, onServices, serviceArns);
  if (onTaskDefinitions.length > 0) {
    allow(fn, onTaskDefinitions, ['*']);
    acknowledge(
      fn,
      'IAM5[Resource::*]',
      `${onTaskDefinitions.join(' and ')}: DescribeTaskDefinition has no resource-level permissions; RegisterTaskDefinition's resource is the new revision, of the family each service runs, which the config does not name.`,
    );
  }
};
