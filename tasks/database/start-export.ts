// Starts the export of a snapshot to S3 (Parquet, RDS's only format) with the stack's export role and
// key. Safe to run twice: the task id comes from the run, and an existing task of that id exporting
// the same snapshot is this run's own.
import { DescribeExportTasksCommand, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { aws, ExportFailed, rethrowAws } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

/** What RDS answers when an export cannot start for a reason no retry fixes. */
const CANNOT_START = new Set([
  'InvalidExportSourceStateFault',
  'InvalidExportSourceState',
  'DBSnapshotNotFoundFault',
  'DBSnapshotNotFound',
  'IamRoleNotFoundFault',
  'IamRoleMissingPermissionsFault',
  'InvalidS3BucketFault',
  'KMSKeyNotAccessibleFault',
  'InvalidExportOnlyFault',
  'InvalidParameterValue',
  'InvalidParameterCombination',
]);

export const startExport = defineWorker({
  name: 'start-export',
  entry: import.meta.url,
  actions: [
    'rds:StartExportTask',
    'iam:PassRole',
    'kms:CreateGrant',
    'kms:DescribeKey',
    'rds:DescribeExportTasks',
  ],
  input: z.object({
    taskId: z.string().min(1).max(60),
    snapshotArn: z.string().startsWith('arn:'),
    bucket: z.string().min(3),
    prefix: z.string().min(1),
    roleArn: z.string().startsWith('arn:'),
    kmsKeyArn: z.string().startsWith('arn:'),
  }),
  run: async ({ taskId, snapshotArn, bucket, prefix, roleArn, kmsKeyArn }, { rds }) => {
    const location = `s3://${bucket}/${prefix}/${taskId}/`;
    try {
      const started = await rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: taskId,
          SourceArn: snapshotArn,
          S3BucketName: bucket,
          S3Prefix: prefix,
          IamRoleArn: roleArn,
          KmsKeyId: kmsKeyArn,
        }),
      );
      return { taskId, status: started.Status ?? 'STARTING', location };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExportTaskAlreadyExistsFault' || name === 'ExportTaskAlreadyExists') {
        const found = await aws('RDS DescribeExportTasks', () =>
          rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: taskId })),
        );
        const existing = found.ExportTasks?.[0];
        if (existing?.SourceArn === snapshotArn)
          return { taskId, status: existing.Status ?? 'STARTING', location };
        throw new ExportFailed(
          `export task ${taskId} already exists for another source (${existing?.SourceArn})`,
        );
      }
      if (CANNOT_START.has(name))
        throw new ExportFailed(`cannot export ${snapshotArn}: ${name}: ${(error as Error).message}`, {
          cause: error,
        });
      rethrowAws(error, 'RDS StartExportTask');
    }
  },
  summarize: (r) => `${r.taskId} ${r.status} to ${r.location}`,
});

export const handler = lambdaHandler(startExport);
