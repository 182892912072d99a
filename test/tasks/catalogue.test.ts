// Resolving an input against the catalogue: the lookups, the bounds, the account and region of a
// task definition, and the image rules, each with the words a person reads.
import { describe, expect, it } from 'vitest';
import {
  checkDesiredCount,
  checkTaskDefinitionArn,
  describeImageProblem,
  type Issue,
  imageProblems,
  lookUpService,
} from '../../tasks/catalogue.ts';
import type { Catalogue } from '../../tasks/schemas/catalogue.ts';

const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const digest = 'a'.repeat(64);
const catalogue = {
  account: '123456789012',
  region: 'us-east-1',
  environments: {
    prod: { services: { app: { cluster: 'c', service: 's' }, web: { cluster: 'c', service: 'w' } } },
    dev: { services: { app: { cluster: 'd', service: 's' } } },
  },
} as unknown as Catalogue;

const collect = (check: (issues: Issue[]) => void) => {
  const issues: Issue[] = [];
  check(issues);
  return issues;
};

describe('lookUpService', () => {
  it('finds a configured service, and names the field and the known ones otherwise', () => {
    expect(lookUpService(catalogue, 'prod', 'web', [])?.svc).toEqual({ cluster: 'c', service: 'w' });
    expect(collect((i) => lookUpService(catalogue, 'staging', 'app', i))).toEqual([
      { path: 'environment', message: "'staging' is not configured (known: prod, dev)" },
    ]);
    expect(collect((i) => lookUpService(catalogue, 'dev', 'web', i))).toEqual([
      { path: 'service', message: "'web' is not configured in dev (known: app)" },
    ]);
  });
});

describe('checkTaskDefinitionArn', () => {
  it('accepts a task definition of the managed account and region, and refuses one of another of either', () => {
    const arn = (region: string, account: string) =>
      `arn:aws:ecs:${region}:${account}:task-definition/prod-app:4`;
    const refused = [{ path: 'taskDefinition', message: 'must belong to account 123456789012 in us-east-1' }];
    expect(collect((i) => checkTaskDefinitionArn(catalogue, arn('us-east-1', '123456789012'), i))).toEqual(
      [],
    );
    expect(collect((i) => checkTaskDefinitionArn(catalogue, arn('eu-west-1', '123456789012'), i))).toEqual(
      refused,
    );
    expect(collect((i) => checkTaskDefinitionArn(catalogue, arn('us-east-1', '999999999999'), i))).toEqual(
      refused,
    );
    expect(collect((i) => checkTaskDefinitionArn(catalogue, undefined, i))).toEqual([]);
  });
});

describe('checkDesiredCount', () => {
  it('accepts the bounds themselves and refuses one past either', () => {
    const bounds = { min: 2, max: 10 };
    const check = (count: number | undefined) => collect((i) => checkDesiredCount(bounds, 'app', count, i));
    expect([check(2), check(10), check(undefined)]).toEqual([[], [], []]);
    expect(check(1)).toEqual([{ path: 'desiredCount', message: 'must be between 2 and 10 for app' }]);
    expect(check(11)).toEqual([{ path: 'desiredCount', message: 'must be between 2 and 10 for app' }]);
  });
});

describe('imageProblems', () => {
  const pinnedPolicy = { digestPinned: true, allowedRegistries: [registry] };
  const tagsPolicy = {
    digestPinned: false,
    allowedRegistries: [`${registry}/`, 'registry.example.com:5000'],
  };

  it('accepts a pinned image from an allowed registry, and names each problem otherwise', () => {
    expect(imageProblems(`${registry}/app@sha256:${digest}`, pinnedPolicy)).toEqual([]);
    expect(imageProblems(`${registry}/app:1.2.3`, pinnedPolicy)).toEqual(['unpinned']);
    expect(imageProblems(`evil.example.com/app@sha256:${digest}`, pinnedPolicy)).toEqual(['registry']);
    expect(imageProblems('evil.example.com/app:1', pinnedPolicy)).toEqual(['unpinned', 'registry']);
  });

  it('reads the repository of a tagged image without its tag, and of a registry with a port', () => {
    // Given registries written with a trailing slash, or with a port, where tags are allowed
    expect(imageProblems(`${registry}/app:1.2.3`, tagsPolicy)).toEqual([]);
    expect(imageProblems('registry.example.com:5000/team/app:7', tagsPolicy)).toEqual([]);
    expect(imageProblems('registry.example.com:5000/team/app', tagsPolicy)).toEqual([]);
    // And a registry that only starts like an allowed one is not it
    expect(imageProblems(`${registry}.evil.example.com/app:1`, tagsPolicy)).toEqual(['registry']);
    expect(imageProblems('registry.example.com:50001/app:1', tagsPolicy)).toEqual(['registry']);
  });

  it('says what is wrong in words', () => {
    const where = { environment: 'prod', service: 'app' };
    expect(describeImageProblem('unpinned', where, pinnedPolicy)).toBe(
      'prod requires an image pinned by digest (<repository>@sha256:<64 hex>); a tag can move between approval and deploy',
    );
    expect(describeImageProblem('registry', where, tagsPolicy)).toBe(
      `registry not allowed for app (allowed: ${registry}/, registry.example.com:5000)`,
    );
  });
});
