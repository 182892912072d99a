// The lock every procedure takes on its target: one run per service (or database).
import * as z from '../zod.ts';

export const LockSchema = z.object({
  key: z.string().min(1),
  owner: z.string().min(1),
  procedure: z.string().min(1),
  /** Join a lock the owner already holds (a deployment's own rollback) instead of taking it. */
  join: z.boolean().default(false),
  /** The single-use token the owner handed over to the run that joins. */
  joinToken: z.string().min(1).nullable().default(null),
  /** The run that joins (its own execution id), so that its join can be retried. */
  member: z.string().min(1).nullable().default(null),
  /**
   * More keys taken with it, under the same owner, all or none (a restore's swap also locks the
   * services using the database). Released with it.
   */
  also: z.array(z.string().min(1)).max(20).optional(),
});
export type Lock = z.infer<typeof LockSchema>;
