// CloudTrail: reading the event history (who started an execution), for the approval service only.
// LookupEvents has no resource-level permissions: it is allowed on '*', acknowledged with the reason.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

export const grantCloudTrail: Grant = (fn, actions) => {
  for (const action of actions) if (action !== 'cloudtrail:LookupEvents') unknownAction(fn, action);
  allow(fn, actions, ['*']);
  acknowledge(
    fn,
    'IAM5[Resource::*]',
    'cloudtrail:LookupEvents has no resource-level permissions; it only reads the event history, to find who started a run.',
  );
};
