// What the first step of every procedure reads from the context object.
import * as z from '../zod.ts';

/** The execution facts the first step reads from the context object ($$.Execution). */
export const ExecutionSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  startTime: z.string().min(1),
});
export type Execution = z.infer<typeof ExecutionSchema>;
