// The catalogue's schema (the part of the config the workers read): each field's rules with the
// message a person reads, the values at its bounds, and the defaults it fills in.
import { describe, expect, it } from 'vitest';
import {
  type Catalogue,
  CatalogueSchema,
  EmbeddedCatalogueSchema,
  ImageDigest,
  taskDefinitionArn,
} from '../../../tasks/schemas/catalogue.ts';
import { describeIssues } from '../../../tasks/schemas/issues.ts';

// biome-ignore lint/suspicious/noExplicitAny: each case edits an untyped copy.
type Json = any;
const service = {
  cluster: 'enterprise-prod-cluster',
  service: 'app-service',
  containerName: 'app',
  targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
  allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
  desiredCount: { min: 2, max: 10 },
};
const valid = {
  account: '123456789012',
  region: 'us-east-1',
  environments: {
    prod: {
      policy: { approvalRequired: true, snapshotRequired: false, digestPinnedImages: true, bakeMinutes: 30 },
      services: { app: service },
    },
  },
};

/** The problems of the valid catalogue with one edit, as "path: message"; empty when accepted. */
function problems(edit: (c: Json) => void): string {
  const copy = structuredClone(valid) as Json;
  edit(copy);
  const parsed = CatalogueSchema.safeParse(copy);
  return parsed.success ? '' : describeIssues(parsed.error);
}
const app = 'environments.prod.services.app';

describe('CatalogueSchema', () => {
  it('fills in the defaults a config may leave out', () => {
    // Given the smallest valid catalogue / When it is parsed
    const parsed: Catalogue = CatalogueSchema.parse(structuredClone(valid));
    // Then the policy, the approvers and the roles get their defaults
    expect(parsed.environments.prod?.policy).toEqual({
      approvalRequired: true,
      approvalTimeoutMinutes: 60,
      approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
      snapshotRequired: false,
      snapshotRetention: { keepNewest: 20, minAgeDays: 14 },
      digestPinnedImages: true,
      changeRequestRequired: false,
      maintenancePage: false,
      bakeMinutes: 30,
      bakeWithoutAlarms: false,
      scaleDownApprovalFraction: 0.5,
    });
    expect(parsed.environments.prod?.approvers).toEqual([]);
    expect(parsed.environments.prod?.requiredApprovals).toBe(1);
    expect(parsed.environments.prod?.procedureApprovals).toEqual({});
    expect(parsed.ciPrincipals).toEqual([]);
    expect(parsed.environments.prod?.services.app).toMatchObject({
      alarms: [],
      taskRoleArns: [],
      targetType: 'ip',
    });
  });

  it('reads the catalogue a definition embeds as JSON text, keeping its nulls (which CDK would drop from an object)', () => {
    // Given a catalogue with a reminder and the snapshot retention turned off, as JSON text
    const off: Json = structuredClone(valid);
    off.environments.prod.policy.approvalReminders = { remindAt: null, pageAt: 0.9 };
    off.environments.prod.policy.snapshotRetention = null;
    // When
    const parsed = EmbeddedCatalogueSchema.parse(JSON.stringify(off));
    // Then the nulls are there, not the defaults
    expect(parsed.environments.prod?.policy).toMatchObject({
      approvalReminders: { remindAt: null, pageAt: 0.9 },
      snapshotRetention: null,
    });
    // and text that is not JSON is refused as not a catalogue
    expect(EmbeddedCatalogueSchema.safeParse('{not json').success).toBe(false);
  });

  it.each<[string, (c: Json) => void, string]>([
    [
      'more alarms than one DescribeAlarms reads',
      (c) => (c.environments.prod.services.app.alarms = Array.from({ length: 101 }, (_, i) => `alarm-${i}`)),
      'environments.prod.services.app.alarms: at most 100: one DescribeAlarms reads no more names',
    ],
    ['a short account id', (c) => (c.account = '12345678901'), 'account: must be a 12-digit AWS account id'],
    [
      'an account id with a suffix',
      (c) => (c.account = '123456789012x'),
      'account: must be a 12-digit AWS account id',
    ],
    [
      'an account id with a prefix',
      (c) => (c.account = 'x123456789012'),
      'account: must be a 12-digit AWS account id',
    ],
    [
      'a region with a suffix',
      (c) => (c.region = 'us-east-1x'),
      'region: must be an AWS region such as us-east-1',
    ],
    [
      'a region with a prefix',
      (c) => (c.region = 'xus-east-1'),
      'region: must be an AWS region such as us-east-1',
    ],
    [
      'a region without its area',
      (c) => (c.region = 'us-1'),
      'region: must be an AWS region such as us-east-1',
    ],
    ['no environment', (c) => (c.environments = {}), 'environments: at least one environment'],
    [
      'an environment key in capitals',
      (c) => (c.environments = { Prod: c.environments.prod }),
      'environments.Prod: must be lower-case kebab-case',
    ],
    [
      'an environment key with a trailing character',
      (c) => (c.environments = { 'prod!': c.environments.prod }),
      'environments.prod!: must be lower-case kebab-case',
    ],
    [
      'an environment key with a leading character',
      (c) => (c.environments = { '!prod': c.environments.prod }),
      'environments.!prod: must be lower-case kebab-case',
    ],
    [
      'a 41-character environment key',
      (c) => (c.environments = { ['p'.repeat(41)]: c.environments.prod }),
      `environments.${'p'.repeat(41)}: Too big`,
    ],
    [
      'no service',
      (c) => (c.environments.prod.services = {}),
      'environments.prod.services: at least one service',
    ],
    [
      'an approval timeout of 0 minutes',
      (c) => (c.environments.prod.policy.approvalTimeoutMinutes = 0),
      'environments.prod.policy.approvalTimeoutMinutes: Too small',
    ],
    [
      'an approval timeout above a day',
      (c) => (c.environments.prod.policy.approvalTimeoutMinutes = 1441),
      'environments.prod.policy.approvalTimeoutMinutes: Too big',
    ],
    [
      'a bake above two hours',
      (c) => (c.environments.prod.policy.bakeMinutes = 121),
      'environments.prod.policy.bakeMinutes: Too big',
    ],
    [
      'a cluster name with a space',
      (c) => (c.environments.prod.services.app.cluster = 'prod cluster'),
      `${app}.cluster: cluster may contain only letters, digits, '-' and '_'`,
    ],
    [
      'a cluster name with a trailing character',
      (c) => (c.environments.prod.services.app.cluster = 'prod!'),
      `${app}.cluster: cluster may contain only letters, digits, '-' and '_'`,
    ],
    [
      'a service name with a leading character',
      (c) => (c.environments.prod.services.app.service = '!app'),
      `${app}.service: service may contain only letters, digits, '-' and '_'`,
    ],
    [
      'a target group ARN with a prefix',
      (c) => (c.environments.prod.services.app.targetGroupArn = `x${service.targetGroupArn}`),
      `${app}.targetGroupArn: must be a target group ARN`,
    ],
    [
      'a target group ARN with a suffix',
      (c) => (c.environments.prod.services.app.targetGroupArn = `${service.targetGroupArn}/x`),
      `${app}.targetGroupArn: must be a target group ARN`,
    ],
    [
      'a lambda target group',
      (c) => ((c.environments.prod.services.app as Record<string, unknown>).targetType = 'lambda'),
      `${app}.targetType: must be 'ip' (awsvpc tasks) or 'instance' (bridge or host networking): ECS registers no tasks in lambda or alb target groups`,
    ],
    [
      'an alb target group',
      (c) => ((c.environments.prod.services.app as Record<string, unknown>).targetType = 'alb'),
      `${app}.targetType: must be 'ip' (awsvpc tasks) or 'instance'`,
    ],
    [
      'a database id with "--"',
      (c) => (c.environments.prod.services.app.database = 'prod--db'),
      `${app}.database: must be an RDS identifier`,
    ],
    [
      'a database id with a trailing "-"',
      (c) => (c.environments.prod.services.app.database = 'prod-db-'),
      `${app}.database: must be an RDS identifier`,
    ],
    [
      'a database id starting with a digit',
      (c) => (c.environments.prod.services.app.database = '1prod'),
      `${app}.database: must be an RDS identifier`,
    ],
    [
      'a database id with a trailing character',
      (c) => (c.environments.prod.services.app.database = 'prod!'),
      `${app}.database: must be an RDS identifier`,
    ],
    [
      'a registry wildcard',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['*']),
      `${app}.allowedRegistries.0: must name a registry, host[/path] (no wildcards: they would let any image in)`,
    ],
    [
      'a registry host without a domain',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['registry']),
      `${app}.allowedRegistries.0: must name a registry`,
    ],
    [
      'a registry with a port that is not a number',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['registry.example.com:x']),
      `${app}.allowedRegistries.0: must name a registry`,
    ],
    [
      'a registry path with a space',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['registry.example.com/a b']),
      `${app}.allowedRegistries.0: must name a registry`,
    ],
    [
      'a registry with a leading character',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['/registry.example.com']),
      `${app}.allowedRegistries.0: must name a registry`,
    ],
    [
      'no registry',
      (c) => (c.environments.prod.services.app.allowedRegistries = []),
      `${app}.allowedRegistries: Too small`,
    ],
    [
      'bounds whose min exceeds max',
      (c) => (c.environments.prod.services.app.desiredCount = { min: 5, max: 4 }),
      `${app}.desiredCount: min must not exceed max`,
    ],
    [
      'a max count above 1000',
      (c) => (c.environments.prod.services.app.desiredCount = { min: 1, max: 1001 }),
      `${app}.desiredCount.max: Too big`,
    ],
    [
      'a task role of another partition format',
      (c) => (c.environments.prod.services.app.taskRoleArns = ['arn:aws:iam::12345:role/app']),
      `${app}.taskRoleArns.0: must be an IAM role ARN`,
    ],
    [
      'a task role with a prefix',
      (c) => (c.environments.prod.services.app.taskRoleArns = ['xarn:aws:iam::123456789012:role/app']),
      `${app}.taskRoleArns.0: must be an IAM role ARN`,
    ],
    [
      'a task role without a name',
      (c) => (c.environments.prod.services.app.taskRoleArns = ['arn:aws:iam::123456789012:role/']),
      `${app}.taskRoleArns.0: must be an IAM role ARN`,
    ],
    [
      'a maintenance page that is the service itself',
      (c) => (c.environments.prod.services.app.maintenancePage = { service: 'app-service' }),
      `${app}.maintenancePage.service: the maintenance page must be another service`,
    ],
  ])('refuses %s, naming the field', (_what, edit, expected) => {
    // Given the valid catalogue with one defect / When it is parsed / Then the field and the reason are named
    expect(problems(edit)).toContain(expected);
  });

  it.each<[string, (c: Json) => void]>([
    ['an approval timeout of a day', (c) => (c.environments.prod.policy.approvalTimeoutMinutes = 1440)],
    ['an approval timeout of one minute', (c) => (c.environments.prod.policy.approvalTimeoutMinutes = 1)],
    ['a bake of two hours, and none', (c) => (c.environments.prod.policy.bakeMinutes = 120)],
    [
      'bounds with min equal to max',
      (c) => (c.environments.prod.services.app.desiredCount = { min: 3, max: 3 }),
    ],
    [
      'a registry with a port and a path',
      (c) => (c.environments.prod.services.app.allowedRegistries = ['registry.example.com:5000/team/app']),
    ],
    [
      'a task role in a GovCloud partition',
      (c) => (c.environments.prod.services.app.taskRoleArns = ['arn:aws-us-gov:iam::123456789012:role/app']),
    ],
    [
      'a maintenance page that is another service',
      (c) => (c.environments.prod.services.app.maintenancePage = { service: 'maintenance' }),
    ],
    [
      'a database id at its longest',
      (c) => (c.environments.prod.services.app.database = `d${'b'.repeat(62)}`),
    ],
  ])('accepts %s', (_what, edit) => {
    expect(problems(edit)).toBe('');
  });
});

describe('identifiers', () => {
  it('pins an image by digest only when the whole reference is <repository>@sha256:<64 hex>', () => {
    const digest = 'a'.repeat(64);
    expect(ImageDigest.exec(`registry.example.com/app@sha256:${digest}`)?.groups?.repository).toBe(
      'registry.example.com/app',
    );
    expect(ImageDigest.test(`registry.example.com/app@sha256:${digest}0`)).toBe(false);
    expect(ImageDigest.test(` registry.example.com/app@sha256:${digest}`)).toBe(false);
    expect(ImageDigest.test(`registry.example.com/app@sha256:${'A'.repeat(64)}`)).toBe(false);
  });

  it('reads a task definition ARN only as a whole', () => {
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:42';
    expect(taskDefinitionArn.safeParse(arn).success).toBe(true);
    expect(taskDefinitionArn.safeParse(`x${arn}`).success).toBe(false);
    expect(taskDefinitionArn.safeParse(`${arn}x`).success).toBe(false);
    expect(taskDefinitionArn.safeParse(arn.replace('arn:aws:', 'arn:aws-cn:')).success).toBe(true);
    expect(taskDefinitionArn.safeParse(arn.replace('arn:aws:', 'arn:aws1:')).success).toBe(false);
    expect(taskDefinitionArn.safeParse('nope').error?.issues[0]?.message).toBe(
      'must be a task definition ARN (...:task-definition/<family>:<revision>)',
    );
  });
});
