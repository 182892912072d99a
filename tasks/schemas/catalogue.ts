// The environment catalogue: the part of the config the workers resolve inputs against (environments,
// their policies and services), and the identifiers and references those are made of.

import { isApproverPattern } from '../approvals/identity.ts';
import * as z from '../zod.ts';

/** At most this many alarm names in one DescribeAlarms call: a service watches no more (tasks/alarms.ts). */
export const MAX_ALARM_NAMES = 100;

const identifier = (what: string, max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, `${what} may contain only letters, digits, '-' and '_'`);

/** RDS identifiers: letters, digits, hyphens; start with a letter; no '--'; no trailing '-'. */
export const dbInstanceId = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$/,
    'must be an RDS identifier (letter first, no "--", no trailing "-")',
  );

export const key = z
  .string()
  .max(40)
  .regex(/^[a-z](?:-?[a-z0-9])*$/, 'must be lower-case kebab-case (letter first, no "--", no trailing "-")');

export const ImageDigest = /^(?<repository>[^@\s]+)@sha256:[0-9a-f]{64}$/;

export const PolicySchema = z.strictObject({
  /** A person must approve before anything changes. */
  approvalRequired: z.boolean(),
  /** How long an approval request stays open before the run ends with ApprovalExpired. */
  approvalTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /**
   * When, as fractions of the approval wait, a pending request is announced again (remindAt) and the
   * on-call paged (pageAt); null turns one off.
   */
  approvalReminders: z
    .strictObject({
      remindAt: z.number().gt(0).lt(1).nullable(),
      pageAt: z.number().gt(0).lt(1).nullable(),
    })
    .refine((r) => r.remindAt === null || r.pageAt === null || r.remindAt < r.pageAt, {
      message: 'remindAt must come before pageAt',
      path: ['pageAt'],
    })
    .default({ remindAt: 0.5, pageAt: 0.9 }),
  /** Take a database snapshot (and wait until it is available) before the service is touched. */
  snapshotRequired: z.boolean(),
  /**
   * Which of this runbook's own pre-deploy snapshots a successful deployment deletes afterwards, so
   * that they do not exhaust RDS's manual snapshot quota; null keeps every one.
   */
  snapshotRetention: z
    .strictObject({
      /** The newest this many pre-deploy snapshots of each database are always kept. */
      keepNewest: z.number().int().min(1).max(100),
      /** A snapshot younger than this is always kept. */
      minAgeDays: z.number().int().min(1).max(3650),
    })
    .nullable()
    .default({ keepNewest: 20, minAgeDays: 14 }),
  /** Only images pinned by digest (a tag can move between approval and deploy). */
  digestPinnedImages: z.boolean(),
  /** A change request (ticket) must be named in the input. */
  changeRequestRequired: z.boolean().default(false),
  /** Switch the maintenance page on during the rollout unless the input says otherwise. */
  maintenancePage: z.boolean().default(false),
  /** How long the alarms are watched after the targets are healthy; 0 skips the bake. */
  bakeMinutes: z.number().int().min(0).max(120),
  /** Bake services that watch no alarm (the bake then only waits): must be said explicitly. */
  bakeWithoutAlarms: z.boolean().default(false),
  /**
   * Where approvals are required, a manual scale-down that removes more than this fraction of the
   * service's desired count needs one too (0.5: from 6 to 2 does, from 6 to 3 does not); null: none does.
   */
  scaleDownApprovalFraction: z.number().min(0).max(1).nullable().default(0.5),
});
export type Policy = z.infer<typeof PolicySchema>;

export const ServiceConfigSchema = z
  .strictObject({
    cluster: identifier('cluster', 255),
    service: identifier('service', 255),
    /** The container whose image a deployment replaces. */
    containerName: z.string().min(1).max(255),
    targetGroupArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/]+\/[0-9a-f]+$/,
        'must be a target group ARN',
      ),
    /**
     * How the target group names the service's tasks: `ip` (awsvpc networking: the task's address)
     * or `instance` (bridge or host networking: the EC2 instance and the task's host port).
     */
    targetType: z
      .enum(['ip', 'instance'], {
        message:
          "must be 'ip' (awsvpc tasks) or 'instance' (bridge or host networking): ECS registers no tasks in lambda or alb target groups",
      })
      .default('ip'),
    maintenancePage: z
      .strictObject({ cluster: identifier('cluster', 255).optional(), service: identifier('service', 255) })
      .optional(),
    /** The database guarded by a snapshot before each deployment. */
    database: dbInstanceId.optional(),
    alarms: z
      .array(z.string().min(1).max(255))
      .max(MAX_ALARM_NAMES, `at most ${MAX_ALARM_NAMES}: one DescribeAlarms reads no more names`)
      .default([]),
    allowedRegistries: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z0-9.-]*[a-z0-9](:\d+)?(\/[a-z0-9._/-]+)?$/i,
            'must name a registry, host[/path] (no wildcards: they would let any image in)',
          ),
      )
      .min(1),
    desiredCount: z
      .strictObject({ min: z.number().int().min(0), max: z.number().int().min(1).max(1000) })
      .refine((d) => d.min <= d.max, 'min must not exceed max'),
    /** Roles the service's task definitions carry; the deploy worker may pass exactly these to ECS. */
    taskRoleArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'))
      .default([]),
    /**
     * Its Application Auto Scaling, as configure-autoscaling sets it up: a scalable target between
     * `min` and `max` (within `desiredCount`), and a target-tracking policy on the average CPU (or memory).
     */
    autoScaling: z
      .strictObject({
        min: z.number().int().min(0),
        max: z.number().int().min(1),
        /** What the policy tracks: the service's average CPU or memory utilization. */
        metric: z.enum(['cpu', 'memory']).default('cpu'),
        /** The average (percent) of that metric the policy keeps the service at. */
        targetPercent: z.number().min(10).max(90).default(70),
        /** Seconds after a scale-in before another; after a scale-out before another scale-out. */
        scaleInCooldownSeconds: z.number().int().min(0).max(3600).default(300),
        scaleOutCooldownSeconds: z.number().int().min(0).max(3600).default(60),
      })
      .refine((a) => a.min <= a.max, { message: 'min must not exceed max', path: ['max'] })
      .optional(),
  })
  .refine((s) => !s.maintenancePage || s.maintenancePage.service !== s.service, {
    message: 'the maintenance page must be another service',
    path: ['maintenancePage', 'service'],
  })
  .refine((s) => !s.autoScaling || s.autoScaling.min >= s.desiredCount.min, {
    message: 'must be within desiredCount: at least its min',
    path: ['autoScaling', 'min'],
  })
  .refine((s) => !s.autoScaling || s.autoScaling.max <= s.desiredCount.max, {
    message: 'must be within desiredCount: at most its max',
    path: ['autoScaling', 'max'],
  });
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

/** An ARN pattern of callers of the approval service (tasks/approvals/identity.ts). */
export const approverPattern = z
  .string()
  .refine(
    isApproverPattern,
    'must be an IAM user ARN or an assumed-role session ARN pattern (arn:aws:sts::<account>:assumed-role/<role>/<session>, * within a segment)',
  );

export const ApprovalsSchema = z.strictObject({
  /** Who may decide (ARN patterns of the authenticated callers). */
  approvers: z.array(approverPattern).min(1).optional(),
  /** How many distinct approvers must approve (M of N). */
  requiredApprovals: z.number().int().min(1).max(10).optional(),
});

/** A database the database procedures (db-backup, db-restore, rds-maintenance) may act on. */
export const DatabaseConfigSchema = z.strictObject({
  /** The RDS instance identifier. The services whose `database` names it are the ones using it. */
  instance: dbInstanceId,
  /**
   * Where db-backup may export a snapshot (StartExportTask, Parquet): a prefix of the stack's export
   * bucket, written with the stack's export role and key. Absent: this database is never exported.
   */
  export: z
    .strictObject({
      prefix: z
        .string()
        .max(200)
        .regex(/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/, 'must be an S3 prefix (lower case, digits, - _ /)'),
    })
    .optional(),
  /**
   * The instance's Enhanced Monitoring role. A restore does not take monitoring settings: db-restore
   * gives the restored instance its source's interval and this role afterwards, and may pass only
   * this role (iam:PassRole to monitoring.rds.amazonaws.com). Absent: the instance is not monitored
   * that way, and a restore of one that is fails its verification rather than pass another role.
   */
  monitoringRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
    .optional(),
});
export type DatabaseConfig = z.infer<typeof DatabaseConfigSchema>;

/** Whether a name is an IANA time zone this runtime knows (EventBridge Scheduler takes the same names). */
const isTimeZone = (name: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
};

const severity = z.enum(['info', 'warning', 'page']);

/** One application log group whose recent ERROR events the health check counts. */
export const HealthLogSchema = z.strictObject({
  logGroup: z
    .string()
    .regex(/^[\w#/.-]{1,512}$/, 'must be a CloudWatch Logs log group name (letters, digits, _ - / . #)'),
  /** A CloudWatch Logs filter pattern (the runbook's is ERROR). */
  filterPattern: z.string().min(1).max(1024).default('ERROR'),
  /** How far back the events are counted. */
  windowMinutes: z.number().int().min(5).max(1440).default(60),
  /** More matching events than this in the window is a failed check. */
  maxEvents: z.number().int().min(0).max(1000).default(20),
});

/** The runbook's Morning Health Check of an environment (procedure health-check). */
export const HealthCheckSchema = z.strictObject({
  /** When it runs by itself: daily at `time` in `timeZone` (EventBridge Scheduler); null: only when started. */
  schedule: z
    .strictObject({
      time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, 24-hour'),
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/London or UTC'),
    })
    .nullable()
    .default({ time: '09:00', timeZone: 'UTC' }),
  /** The tag the environment's VPCs carry. @default Environment=<the environment's name> */
  vpcTag: z.strictObject({ key: z.string().min(1).max(128), value: z.string().min(1).max(256) }).optional(),
  /** Only alarms whose names start with this are the environment's. @default every alarm of the account, as the runbook's script reads them */
  alarmNamePrefix: z.string().min(1).max(255).optional(),
  logs: z.array(HealthLogSchema).max(10, 'at most 10 log groups').default([]),
  /** How loud a run is that finds a failed check, or only warnings; a healthy run sends nothing. */
  notify: z.strictObject({ fail: severity, warn: severity }).default({ fail: 'warning', warn: 'info' }),
});
export type HealthCheckConfig = z.infer<typeof HealthCheckSchema>;
export const DEFAULT_HEALTH_CHECK: HealthCheckConfig = HealthCheckSchema.parse({});

/** A threshold of a percentage (CPU, memory). */
const percent = z.number().min(1).max(100);

/** The runbook's Monitor Resource Usage of an environment (procedure resource-usage). */
export const ResourceUsageSchema = z.strictObject({
  /** When it runs by itself: every `everyHours` hours (EventBridge Scheduler); null: only when started. */
  schedule: z
    .strictObject({ everyHours: z.number().int().min(1).max(24) })
    .nullable()
    .default({ everyHours: 4 }),
  /** The window each figure covers, ending when the run starts (a whole number of minutes, 5 to 1440). */
  windowMinutes: z.number().int().min(5).max(1440).default(60),
  /** The ECS clusters and services of the environment: average CPU and memory over the window. */
  ecs: z
    .strictObject({ cpuPercent: percent, memoryPercent: percent })
    .default({ cpuPercent: 80, memoryPercent: 80 }),
  /** The environment's RDS instances: average CPU, most connections and least free storage over the window. */
  rds: z
    .strictObject({
      cpuPercent: percent,
      /** More connections than this at any minute of the window is a breach. @default no threshold: reported, not judged */
      maxConnections: z.number().int().min(1).optional(),
      minFreeStorageGiB: z.number().min(0),
    })
    .default({ cpuPercent: 80, minFreeStorageGiB: 10 }),
  /** S3 buckets whose size (Standard storage, as S3 reports it once a day) is watched. */
  buckets: z
    .array(
      z.strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
        /** Larger than this is a breach. @default no threshold: reported, not judged */
        maxSizeGiB: z.number().min(0).optional(),
      }),
    )
    .max(50, 'at most 50 buckets')
    .default([]),
  /** How loud a run is that finds a breach; a run without one sends nothing. */
  notify: severity.default('warning'),
});
export type ResourceUsageConfig = z.infer<typeof ResourceUsageSchema>;
export const DEFAULT_RESOURCE_USAGE: ResourceUsageConfig = ResourceUsageSchema.parse({});

/** The runbook's Severity Levels, P0 (critical) to P3 (low). */
export const INCIDENT_SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

const topicArns = z
  .array(
    z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[\w-]{1,256}$/, 'must be an SNS topic ARN'),
  )
  .min(1)
  .max(5, 'at most 5 topics');

/**
 * Where incident-response announces an incident of each severity (the runbook: P0 pages on-call and
 * notifies leadership, P1 alerts on-call, P2 the team channel, P3 a ticket): the SNS topics each
 * severity goes to, such as a pager's, a chat channel's (AWS Chatbot) or a ticket system's.
 */
export const IncidentRoutesSchema = z.strictObject({
  P0: topicArns,
  P1: topicArns,
  P2: topicArns,
  P3: topicArns,
});
export type IncidentRoutes = z.infer<typeof IncidentRoutesSchema>;

export const EnvironmentSchema = z.strictObject({
  policy: PolicySchema,
  /** Who may decide an approval: ARN patterns of the callers the approval service authenticates. */
  approvers: z.array(approverPattern).default([]),
  /** How many distinct approvers must approve a request of this environment (M of N). */
  requiredApprovals: z.number().int().min(1).max(10).default(1),
  /** Other approvers or counts for a procedure, by procedure name. */
  procedureApprovals: z.record(key, ApprovalsSchema).default({}),
  services: z
    .record(key, ServiceConfigSchema)
    .refine((s) => Object.keys(s).length > 0, 'at least one service'),
  /** The databases the database procedures may act on, by the key their inputs name. */
  databases: z.record(key, DatabaseConfigSchema).default({}),
  healthCheck: HealthCheckSchema.default(DEFAULT_HEALTH_CHECK),
  resourceUsage: ResourceUsageSchema.default(DEFAULT_RESOURCE_USAGE),
  /** Absent: incidents go to the runbook's own topic, P0 and P1 as pages, P2 as warnings, P3 as info. */
  incidents: IncidentRoutesSchema.optional(),
});
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;

/** What the validation workers resolve an input against; embedded in the definition by the CDK app. */
export const CatalogueSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
  /** ARN patterns of the principals CI starts runs as: they never decide an approval. */
  ciPrincipals: z.array(approverPattern).default([]),
  environments: z
    .record(key, EnvironmentSchema)
    .refine((e) => Object.keys(e).length > 0, 'at least one environment'),
});
export type Catalogue = z.infer<typeof CatalogueSchema>;

/**
 * The catalogue as a validation worker receives it: the JSON text the definition embeds (CDK drops
 * the null values of a Task's parameters, so the object itself would lose them), or the object.
 */
export const EmbeddedCatalogueSchema = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}, CatalogueSchema);

/** Which images an environment accepts for a service. */
export const ImagePolicySchema = z.object({
  digestPinned: z.boolean(),
  allowedRegistries: z.array(z.string()),
});
export type ImagePolicy = z.infer<typeof ImagePolicySchema>;

export const ServiceRefSchema = z.object({ cluster: z.string().min(1), service: z.string().min(1) });
export type ServiceRef = z.infer<typeof ServiceRefSchema>;

export const taskDefinitionArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/,
    'must be a task definition ARN (...:task-definition/<family>:<revision>)',
  );

/** The input fields that name a configured service, and a count for it: the same in every service procedure. */
/** A change request (ticket) an input names, where the environment's policy requires one (`when`: for what). */
/** Set by Step Functions on a nested run's input (associateWithParent): the execution that started it. */
export const startedByField = (when: string) =>
  z.string().min(1).optional().describe(`set by Step Functions when ${when}; not for people`);

export const changeRequestField = (when = 'where changeRequestRequired') =>
  z.string().min(1).max(64).optional().describe(`the approved change request (ticket); required ${when}`);

export const serviceInputFields = {
  environment: z.string().min(1).describe('an environment of the config, e.g. prod'),
  service: z.string().min(1).describe('a service of that environment, e.g. app'),
  desiredCount: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("within the service's bounds; default: keep the current count"),
};
