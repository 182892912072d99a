// S3: the run archive's functions read and write the objects under runs/ of the archive bucket, and
// may list that prefix (without s3:ListBucket, S3 answers a missing key with 403, not 404, and the
// archive could not tell "not archived yet" from "not allowed"). Nothing else of any bucket.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

const OBJECT_ACTIONS = new Set(['s3:GetObject', 's3:PutObject']);

export const grantS3: Grant = (fn, actions, { archive }) => {
  for (const action of actions)
    if (!OBJECT_ACTIONS.has(action) && action !== 's3:ListBucket') unknownAction(fn, action);
  if (!archive) throw new Error(`${fn.node.id} needs the run archive bucket, and the stack has none`);
  const objects = actions.filter((a) => OBJECT_ACTIONS.has(a));
  allow(fn, objects, [archive.arnForObjects('runs/*')]);
  if (actions.includes('s3:ListBucket'))
    allow(fn, ['s3:ListBucket'], [archive.bucketArn], { StringLike: { 's3:prefix': 'runs/*' } });
  if (objects.length > 0)
    acknowledge(
      fn,
      `IAM5[Resource::<${archive.stack.getLogicalId(archive.node.defaultChild as never)}.Arn>/runs/*]`,
      'The archive keeps each run under runs/<procedure>/<date>/<name>/: its functions read and write that prefix only.',
    );
};
