// The input of a procedure that looks at a whole environment (the read-only checks: health-check,
// resource-usage), as a person or its schedule writes it.
import * as z from '../zod.ts';

const fields = {
  environment: z.string().min(1).describe('an environment of the config, e.g. prod'),
  requestedBy: z
    .string()
    .min(1)
    .max(128)
    .describe('who asks (the schedule names itself), for the notices and the record'),
  reason: z.string().min(1).max(500).optional().describe('why, for the notices and the record'),
};

export const EnvironmentRunInputSchema = z.strictObject(fields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const EnvironmentRunInputFields = z.object(fields);
