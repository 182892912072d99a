// DynamoDB: the runbook's own run-state table, and nothing else.
import type { Grant } from './grant.ts';

export const grantDynamoDb: Grant = (fn, actions, { table }) => {
  if (actions.length > 0) table.grant(fn, ...actions);
};
