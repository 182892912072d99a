// SNS: publishing to the runbook's notifications topic (and using its KMS key to do so).
import { acknowledge, type Grant, unknownAction } from './grant.ts';

export const grantSns: Grant = (fn, actions, { topic }) => {
  for (const action of actions) {
    if (action !== 'sns:Publish') unknownAction(fn, action);
    topic.grantPublish(fn);
    acknowledge(
      fn,
      'IAM5[Action::kms:GenerateDataKey*]',
      'Publishing to the KMS-encrypted notifications topic needs GenerateDataKey* on its key (granted by grantPublish, on that key only).',
    );
  }
};
