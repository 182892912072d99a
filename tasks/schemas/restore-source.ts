// Where a database restore takes its data from: the input's `source`, read by its first step and by
// the worker that resolves it.
import * as z from '../zod.ts';

/** Where a restore takes its data from, as the input names it. */
export const RestoreSourceSchema = z.union([
  z.strictObject({
    snapshot: z
      .string()
      .min(1)
      .max(255)
      .describe("a snapshot identifier of the database's instance, or latest (the newest available)"),
  }),
  z.strictObject({
    pointInTime: z
      .union([z.literal('latest-restorable'), z.iso.datetime({ offset: true })])
      .describe('an ISO 8601 time inside the restorable window, or latest-restorable'),
  }),
]);
export type RestoreSource = z.infer<typeof RestoreSourceSchema>;
