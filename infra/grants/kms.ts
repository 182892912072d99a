// KMS: letting RDS encrypt a snapshot export with the stack's export key (the caller of
// StartExportTask needs CreateGrant and DescribeKey on it), and no other key.
import { allow, type Grant, unknownAction } from './grant.ts';

const EXPORT_ACTIONS = new Set(['kms:CreateGrant', 'kms:DescribeKey']);

export const grantKms: Grant = (fn, actions, { exports }) => {
  for (const action of actions) if (!EXPORT_ACTIONS.has(action)) unknownAction(fn, action);
  if (!exports) throw new Error(`${fn.node.id} needs the export key, and the stack has none`);
  allow(fn, actions, [exports.key.keyArn]);
};
