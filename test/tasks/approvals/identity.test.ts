import { describe, expect, it } from 'vitest';
import {
  identityOf,
  isApproverPattern,
  matchesPattern,
  samePerson,
} from '../../../tasks/approvals/identity.ts';

const SSO = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_0a1b2c3d/alice@example.com';

describe('approval identities', () => {
  it('reads a role session as its role and its person (the session name)', () => {
    expect(identityOf(SSO)).toEqual({
      arn: SSO,
      account: '123456789012',
      kind: 'assumed-role',
      principal: 'AWSReservedSSO_ProdApprover_0a1b2c3d',
      person: 'alice@example.com',
    });
  });

  it('reads an IAM user, with or without a path, as the user', () => {
    expect(identityOf('arn:aws:iam::123456789012:user/ops/bob')).toMatchObject({
      kind: 'user',
      principal: 'bob',
      person: 'bob',
    });
    expect(identityOf('arn:aws-cn:iam::123456789012:user/bob')).toMatchObject({
      kind: 'user',
      account: '123456789012',
    });
  });

  it('reads the root user as root', () => {
    expect(identityOf('arn:aws:iam::123456789012:root')).toEqual({
      arn: 'arn:aws:iam::123456789012:root',
      account: '123456789012',
      kind: 'root',
      principal: 'root',
      person: 'root',
    });
  });

  it('reads the ARNs of every partition', () => {
    expect(identityOf('arn:aws-us-gov:sts::123456789012:assumed-role/Ops/bob')).toMatchObject({
      person: 'bob',
    });
    expect(identityOf('arn:aws-us-gov:iam::123456789012:root')).toMatchObject({ kind: 'root' });
  });

  it.each([
    ['a role, not a session', 'arn:aws:iam::123456789012:role/Admin'],
    ['a federated user', 'arn:aws:sts::123456789012:federated-user/bob'],
    ['a session without a name', 'arn:aws:sts::123456789012:assumed-role/Admin/'],
    ['a short account', 'arn:aws:sts::12345:assumed-role/Admin/bob'],
    ['something else', 'alice@example.com'],
    ['a session ARN inside other text', `x${SSO}`],
    ['a session ARN with more after it', `${SSO}/more`],
    ['a user ARN ending in a slash', 'arn:aws:iam::123456789012:user/bob/'],
    ['a user ARN inside other text', 'see arn:aws:iam::123456789012:user/bob'],
    ['a root ARN with more after it', 'arn:aws:iam::123456789012:rootkit'],
    ['a root ARN inside other text', 'xarn:aws:iam::123456789012:root'],
    ['a partition that is not one', 'arn:aws1:sts::123456789012:assumed-role/Ops/bob'],
  ])('knows no identity in %s', (_what, arn) => {
    expect(identityOf(arn)).toBeNull();
  });

  it('matches * within one segment only: a role pattern never matches another role through a slash', () => {
    const alice = identityOf(SSO);
    if (!alice) throw new Error('no identity');
    expect(
      matchesPattern('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/*', alice),
    ).toBe(true);
    expect(
      matchesPattern(
        'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/alice@example.com',
        alice,
      ),
    ).toBe(true);
    expect(
      matchesPattern('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/bob', alice),
    ).toBe(false);
    expect(matchesPattern('arn:aws:sts::123456789012:assumed-role/*', alice)).toBe(false);
    expect(
      matchesPattern('arn:aws:sts::999999999999:assumed-role/AWSReservedSSO_ProdApprover_*/*', alice),
    ).toBe(false);
    // A refusing pattern matches in any case (IAM names are unique whatever their case).
    expect(
      matchesPattern('arn:aws:sts::123456789012:assumed-role/awsreservedsso_prodapprover_*/*', alice, true),
    ).toBe(true);
    // Case matters otherwise: IAM matches ARNs as written.
    expect(
      matchesPattern('arn:aws:sts::123456789012:assumed-role/awsreservedsso_prodapprover_*/*', alice),
    ).toBe(false);
    // Regular-expression characters in a pattern are literal.
    expect(
      matchesPattern('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO.ProdApprover_*/*', alice),
    ).toBe(false);
  });

  it.each([
    ['an SSO permission set', 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/*', true],
    [
      'one person of it',
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/alice@example.com',
      true,
    ],
    ['an IAM user', 'arn:aws:iam::123456789012:user/alice', true],
    ['an e-mail address', 'alice@example.com', false],
    ['any account', 'arn:aws:sts::*:assumed-role/Admin/*', false],
    ['a role ARN', 'arn:aws:iam::123456789012:role/Admin', false],
    ['everything', '*', false],
  ])('accepts an approver pattern of %s: %s', (_what, pattern, ok) => {
    expect(isApproverPattern(pattern)).toBe(ok);
  });

  it('takes two spellings of a name in another case for the same person', () => {
    expect(samePerson('Alice@Example.com', 'alice@example.com')).toBe(true);
    expect(samePerson('alice', 'alicia')).toBe(false);
  });
});
