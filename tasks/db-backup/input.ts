// db-backup's input as a person (or a schedule) writes it, and the request its first step resolves.
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

/** The input fields that name a configured database: the same in every database procedure. */
export const databaseInputFields = {
  environment: z.string().min(1).describe('an environment of the config, e.g. prod'),
  database: z.string().min(1).describe('a database of that environment (its key under databases), e.g. main'),
  requestedBy: z.string().min(1).max(128).describe('who asks, for the notices and the record'),
  reason: z.string().min(1).max(500).optional().describe('why, for the notices and the record'),
};

const backupFields = {
  ...databaseInputFields,
  export: z
    .boolean()
    .optional()
    .describe(
      "also export the snapshot to S3 as Parquet, under the database's configured export prefix (default false); for analysis and long-term keeping, not a restorable backup",
    ),
};

export const BackupInputSchema = z.strictObject(backupFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const BackupInputFields = z.object(backupFields);

/** What db-backup's first step resolves and every later step reads as $.request. */
export const BackupRequestSchema = z.strictObject({
  procedure: z.literal('db-backup'),
  environment: z.string(),
  /** The database's key: the target the notices name. */
  service: z.string(),
  dbInstance: z.string(),
  snapshotId: z.string(),
  /** Where the export goes (a prefix of the stack's export bucket) and its task id; null: no export. */
  export: z.strictObject({ prefix: z.string(), taskId: z.string() }).nullable(),
  requestedBy: z.string(),
  reason: z.string().nullable(),
  lock: LockSchema,
});
export type BackupRequest = z.infer<typeof BackupRequestSchema>;
