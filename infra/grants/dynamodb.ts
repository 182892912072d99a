// DynamoDB: the runbook's own run-state table, and nothing else; only the item actions the workers use.
import { type Grant, unknownAction } from './grant.ts';

const ITEM_ACTIONS = new Set([
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
]);

export const grantDynamoDb: Grant = (fn, actions, { table }) => {
  for (const action of actions) if (!ITEM_ACTIONS.has(action)) unknownAction(fn, action);
  if (actions.length > 0) table.grant(fn, ...actions);
};
