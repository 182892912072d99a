// CloudTrail: reading the event history: who started an execution (the approval service), and an
// incident's recent changes (incident-response's diagnostics).
// LookupEvents has no resource-level permissions: it is allowed on '*', acknowledged with the reason.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

export const grantCloudTrail: Grant = (fn, actions) => {
  for (const action of actions) if (action !== 'cloudtrail:LookupEvents') unknownAction(fn, action);
  allow(fn, actions, ['*']);
  acknowledge(
    fn,
    'IAM5[Resource::*]',
    'cloudtrail:LookupEvents has no resource-level permissions; it only reads the event history (who started a run, the recent changes of an incident).',
  );
};
