// Step Functions: answering the task tokens of approval gates (SendTaskSuccess / SendTaskFailure),
// for the approval service's function only. A token of a service-integration Task
// (lambda:invoke.waitForTaskToken) belongs to no resource IAM can name: the Service Authorization
// Reference scopes these actions to activities only, so they are allowed on '*'. What the function
// may answer is bounded by the tokens it can read: those the gates wrote into the run-state table.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

const TASK_RESPONSES = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure']);

export const grantStates: Grant = (fn, actions) => {
  for (const action of actions) if (!TASK_RESPONSES.has(action)) unknownAction(fn, action);
  allow(fn, actions, ['*']);
  acknowledge(
    fn,
    'IAM5[Resource::*]',
    'SendTaskSuccess and SendTaskFailure cannot be scoped to the task tokens of a callback Task; the function only answers tokens the approval gates stored in the run-state table.',
  );
};
