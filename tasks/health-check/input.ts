// health-check's input as a person (or its schedule) writes it, and the request its first step resolves.
import { HealthLogSchema } from '../schemas/catalogue.ts';
import * as z from '../zod.ts';

const severity = z.enum(['info', 'warning', 'page']);

/** One configured service, as the service and load balancer checks read it. */
export const CheckedServiceSchema = z.strictObject({
  /** Its key in the config. */
  name: z.string(),
  cluster: z.string(),
  service: z.string(),
  targetGroupArn: z.string(),
});

/** What health-check's first step resolves and every check reads as $.request. */
export const HealthRequestSchema = z.strictObject({
  procedure: z.literal('health-check'),
  environment: z.string(),
  /** What the notices name as the run's target. */
  service: z.literal('health check'),
  region: z.string(),
  requestedBy: z.string(),
  reason: z.string().nullable(),
  vpcTag: z.strictObject({ key: z.string(), value: z.string() }),
  /** The RDS instances of the environment (its databases and those its services use), lower case. */
  databases: z.array(z.string()),
  services: z.array(CheckedServiceSchema),
  alarmNamePrefix: z.string().nullable(),
  logs: z.array(HealthLogSchema),
  notify: z.strictObject({ fail: severity, warn: severity }),
});
export type HealthRequest = z.infer<typeof HealthRequestSchema>;
