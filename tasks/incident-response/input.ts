// incident-response's input as the on-call engineer (or CI) writes it, and the request its first step
// resolves: the service, the severity and where it is announced, what the diagnostics read.
import { HealthLogSchema, INCIDENT_SEVERITIES, serviceInputFields } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

/** The runbook's Resolution Actions this procedure takes; diagnostics always run first, and alone change nothing. */
export const ACTIONS = ['diagnostics', 'force-new-deployment', 'scale-up'] as const;
export type Action = (typeof ACTIONS)[number];

const incidentFields = {
  environment: serviceInputFields.environment,
  service: serviceInputFields.service,
  severity: z
    .enum(INCIDENT_SEVERITIES)
    .describe('P0 (critical: all users) to P3 (low), as the runbook Severity Levels define them'),
  action: z
    .enum(ACTIONS)
    .describe(
      'diagnostics (read-only), force-new-deployment (a crash loop) or scale-up (high CPU or memory); diagnostics run first in every case',
    ),
  incident: z
    .string()
    .regex(/^[\w.:#/-]{1,64}$/, 'must be 1 to 64 letters, digits and _ . : # / -')
    .describe('the incident reference (INC-1234), for the notices, the record and the change it makes'),
  desiredCount: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("scale-up only: the count to run, above the current one and within the service's bounds"),
  reason: z.string().min(1).max(500).optional().describe('what is seen, for the notices and the record'),
  requestedBy: z.string().min(1).max(128).describe('who asks, for the notices and the record'),
};

export const IncidentInputSchema = z.strictObject(incidentFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const IncidentInputFields = z.object(incidentFields);

/** How an incident of the run's severity is announced: to these topics, with this severity attribute. */
export const RouteSchema = z.strictObject({
  /** The configured topics of the severity; empty: the runbook's own topic. */
  topicArns: z.array(z.string()),
  /** The `severity` attribute its notices carry (the runbook's topic's page list takes only "page"). */
  severity: z.enum(['info', 'warning', 'page']),
  /** Whom the runbook says it reaches, for the notice and the report. */
  audience: z.string(),
});

/** What incident-response's first step resolves and every later step reads as $.request. */
export const IncidentRequestSchema = z.strictObject({
  procedure: z.literal('incident-response'),
  environment: z.string(),
  service: z.string(),
  region: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  targetGroupArn: z.string(),
  targetType: z.enum(['ip', 'instance']),
  severity: z.enum(INCIDENT_SEVERITIES),
  action: z.enum(ACTIONS),
  incident: z.string(),
  /** scale-up's count; null for the other actions. */
  desiredCount: z.number().int().nullable(),
  bounds: z.strictObject({ min: z.number().int(), max: z.number().int() }),
  /** The RDS instance the service uses (lower case), or null. */
  database: z.string().nullable(),
  /** The environment's application log groups (its health check's), read for ERROR lines. */
  logs: z.array(HealthLogSchema),
  route: RouteSchema,
  reason: z.string().nullable(),
  requestedBy: z.string(),
  /** What the notices and the record call the change: the incident reference. */
  changeRequest: z.string(),
  lock: LockSchema,
});
export type IncidentRequest = z.infer<typeof IncidentRequestSchema>;
