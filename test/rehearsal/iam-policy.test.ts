// The rehearsal's IAM evaluator against AWS's documented policy evaluation logic and condition
// operator rules (IAM User Guide: "Policy evaluation logic", "Condition operators").
import { describe, expect, it } from 'vitest';
import {
  type AuthRequest,
  checkStatement,
  evaluate,
  glob,
  type Statement,
} from '../../rehearsal/iam/policy.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/RunState';
const request = (over: Partial<AuthRequest> = {}): AuthRequest => ({
  action: 'dynamodb:GetItem',
  resource: TABLE,
  context: {},
  ...over,
});
const allow = (over: Partial<Statement> = {}): Statement => ({
  Effect: 'Allow',
  Action: 'dynamodb:GetItem',
  Resource: TABLE,
  ...over,
});

describe('IAM evaluation', () => {
  it('allows what an Allow names, and denies the rest implicitly', () => {
    expect(evaluate([allow()], request())).toBe('allowed');
    expect(evaluate([allow()], request({ action: 'dynamodb:PutItem' }))).toBe('implicitly denied');
    expect(evaluate([allow()], request({ resource: `${TABLE}2` }))).toBe('implicitly denied');
    expect(evaluate([], request())).toBe('implicitly denied');
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(evaluate([allow(), { ...allow(), Effect: 'Deny' }], request())).toBe('explicitly denied');
    expect(evaluate([{ ...allow(), Effect: 'Deny', Action: 'dynamodb:Put*' }, allow()], request())).toBe(
      'allowed',
    );
  });

  it('matches actions in any case with wildcards, and resources exactly with wildcards', () => {
    expect(evaluate([allow({ Action: 'DynamoDB:get*' })], request())).toBe('allowed');
    expect(evaluate([allow({ Action: ['sns:Publish', 'dynamodb:?etItem'] })], request())).toBe('allowed');
    expect(evaluate([allow({ Action: '*' })], request())).toBe('allowed');
    expect(evaluate([allow({ Resource: TABLE.toUpperCase() })], request())).toBe('implicitly denied');
    expect(
      evaluate([allow({ Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/*' })], request()),
    ).toBe('allowed');
    // A resource wildcard spans colons (CDK's grant on a nested machine's executions relies on it)
    const execution = 'arn:aws:states:us-east-1:1:execution:runbook-rollback:run-1';
    expect(glob('arn:aws:states:us-east-1:1:execution:runbook-rollback*', execution, false)).toBe(true);
    expect(glob('a.b', 'axb', false)).toBe(false);
  });

  it('holds every operator and every key of a Condition, any of a key’s values', () => {
    const cluster = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';
    const listTasks = allow({
      Action: 'ecs:ListTasks',
      Resource: '*',
      Condition: {
        ArnEquals: { 'ecs:cluster': [cluster, 'arn:aws:ecs:us-east-1:123456789012:cluster/dev'] },
      },
    });
    const ask = (context: Record<string, string>) =>
      evaluate([listTasks], request({ action: 'ecs:ListTasks', resource: '*', context }));
    expect(ask({ 'ecs:cluster': cluster })).toBe('allowed');
    expect(ask({ 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/other' })).toBe(
      'implicitly denied',
    );
    // A key the request does not carry: the positive operator does not hold
    expect(ask({})).toBe('implicitly denied');
    const both = allow({
      Condition: { StringEquals: { 'a:x': 'one', 'a:y': 'two' }, Bool: { 'aws:SecureTransport': 'true' } },
    });
    expect(
      evaluate([both], request({ context: { 'a:x': 'one', 'a:y': 'two', 'aws:SecureTransport': 'true' } })),
    ).toBe('allowed');
    expect(
      evaluate([both], request({ context: { 'a:x': 'one', 'a:y': 'two', 'aws:SecureTransport': 'false' } })),
    ).toBe('implicitly denied');
    expect(evaluate([both], request({ context: { 'a:x': 'one', 'aws:SecureTransport': 'true' } }))).toBe(
      'implicitly denied',
    );
  });

  it('holds a negated operator for a key the request does not carry, and when no value matches', () => {
    const unless = allow({ Condition: { StringNotEquals: { 'a:x': ['one', 'two'] } } });
    expect(evaluate([unless], request())).toBe('allowed');
    expect(evaluate([unless], request({ context: { 'a:x': 'three' } }))).toBe('allowed');
    expect(evaluate([unless], request({ context: { 'a:x': 'two' } }))).toBe('implicitly denied');
    const notLike = allow({ Condition: { ArnNotLike: { 'a:arn': 'arn:aws:iam::*:role/ci-*' } } });
    expect(evaluate([notLike], request({ context: { 'a:arn': 'arn:aws:iam::1:role/ci-deploy' } }))).toBe(
      'implicitly denied',
    );
  });

  it('holds ...IfExists when the key is absent, and Null by whether it is', () => {
    const ifExists = allow({ Condition: { StringEqualsIfExists: { 'a:x': 'one' } } });
    expect(evaluate([ifExists], request())).toBe('allowed');
    expect(evaluate([ifExists], request({ context: { 'a:x': 'two' } }))).toBe('implicitly denied');
    const absent = allow({ Condition: { Null: { 'a:x': 'true' } } });
    expect(evaluate([absent], request())).toBe('allowed');
    expect(evaluate([absent], request({ context: { 'a:x': 'one' } }))).toBe('implicitly denied');
    const present = allow({ Condition: { Null: { 'a:x': 'false' } } });
    expect(evaluate([present], request({ context: { 'a:x': 'one' } }))).toBe('allowed');
  });

  it('compares ARNs part by part: a wildcard does not reach past a colon', () => {
    const like = (pattern: string, value: string) =>
      evaluate(
        [allow({ Condition: { ArnLike: { 'a:arn': pattern } } })],
        request({ context: { 'a:arn': value } }),
      );
    expect(
      like('arn:aws:ecs:*:123456789012:cluster/*', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod'),
    ).toBe('allowed');
    expect(
      like(
        'arn:aws:ecs:*:123456789012:cluster/prod',
        'arn:aws:ecs:us-east-1:extra:123456789012:cluster/prod',
      ),
    ).toBe('implicitly denied');
    expect(like('arn:aws:*', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod')).toBe('implicitly denied');
    expect(
      evaluate(
        [allow({ Condition: { StringEqualsIgnoreCase: { 'a:x': 'ONE' } } })],
        request({ context: { 'a:x': 'one' } }),
      ),
    ).toBe('allowed');
  });

  it('matches condition keys in any case, as AWS does', () => {
    const passed = allow({
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
    expect(
      evaluate([passed], request({ context: { 'iam:passedtoservice': 'ecs-tasks.amazonaws.com' } })),
    ).toBe('allowed');
  });

  it('applies a Deny of the action to a request it can name only as *, whatever resource the Deny names', () => {
    const listTasks = request({ action: 'ecs:ListTasks', resource: '*' });
    const denyOne = {
      Effect: 'Deny' as const,
      Action: 'ecs:ListTasks',
      Resource: 'arn:aws:ecs:us-east-1:1:container-instance/c/i',
    };
    expect(evaluate([allow({ Action: 'ecs:ListTasks', Resource: '*' }), denyOne], listTasks)).toBe(
      'explicitly denied',
    );
    // An Allow of a narrower resource does not allow it
    expect(evaluate([allow({ Action: 'ecs:ListTasks', Resource: denyOne.Resource })], listTasks)).toBe(
      'implicitly denied',
    );
  });

  it('refuses loudly a Deny that needs a condition key the request does not carry, rather than skip it', () => {
    const deny = {
      Effect: 'Deny' as const,
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/frozen': 'true' } },
    };
    expect(() => evaluate([allow(), deny], request())).toThrow(
      'the rehearsal does not supply the condition key aws:ResourceTag/frozen of a Deny on dynamodb:GetItem',
    );
    // A Deny whose condition holds for an absent key (Null, negated, IfExists) applies: stricter, not refused
    const absent = { ...deny, Condition: { Null: { 'aws:ResourceTag/frozen': 'true' } } };
    expect(evaluate([allow(), absent], request())).toBe('explicitly denied');
  });

  it.each([
    ['NotAction', { Effect: 'Allow', NotAction: 's3:*', Resource: '*' }, 'NotAction'],
    ['NotResource', { Effect: 'Allow', Action: '*', NotResource: 'x' }, 'NotResource'],
    ['Principal', { Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }, 'Principal'],
    ['an Effect it does not know', { Effect: 'Maybe', Action: '*', Resource: '*' }, 'Effect'],
    [
      'a set operator',
      {
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'a' } },
      },
      'ForAnyValue:StringEquals',
    ],
    [
      'a numeric operator',
      { Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { 'a:n': '3' } } },
      'NumericLessThan',
    ],
    ['an Action that is not a string', { Effect: 'Allow', Action: { a: 1 }, Resource: '*' }, 'Action'],
  ])('refuses a statement with %s, naming it', (_what, statement, named) => {
    expect(() => checkStatement(statement as Record<string, unknown>)).toThrow(named);
  });
});
