// What every poll worker gets: its round and its budget.
import * as z from '../zod.ts';

/** Every poll worker gets its round and its budget; the state machine carries them between rounds. */
export const PollSchema = z.object({
  attempt: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
});
