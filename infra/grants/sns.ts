// SNS: publishing to the runbook's notifications topic (and using its KMS key to do so); the
// incident notifier alone also to the topics the config routes incidents to, by severity.
import { NOTIFY_INCIDENT } from '../../tasks/incident-response/notify-incident.ts';
import { acknowledge, allow, type Grant, unique, unknownAction } from './grant.ts';

export const grantSns: Grant = (fn, actions, { topic, config }) => {
  for (const action of actions) {
    if (action !== 'sns:Publish') unknownAction(fn, action);
    topic.grantPublish(fn);
    acknowledge(
      fn,
      'IAM5[Action::kms:GenerateDataKey*]',
      'Publishing to the KMS-encrypted notifications topic needs GenerateDataKey* on its key (granted by grantPublish, on that key only).',
    );
    if (fn.node.id === NOTIFY_INCIDENT)
      allow(
        fn,
        [action],
        unique(
          Object.values(config.environments).flatMap((env) => Object.values(env.incidents ?? {}).flat()),
        ),
      );
  }
};
