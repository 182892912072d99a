// The roles the rehearsal reads from a synthesized template: each policy statement resolved, and
// whatever it would not evaluate (boundaries, other policy resources, unknown managed policies) refused.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { definitionsFromTemplate } from '../../rehearsal/definitions.ts';

const config = loadConfig();
const role = (properties: Record<string, unknown> = {}) => ({
  Type: 'AWS::IAM::Role',
  Properties: properties,
});
const read = (resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>) =>
  definitionsFromTemplate({ Resources: resources }, config, new Map());

describe('the roles of a template', () => {
  it('resolves each statement: a function’s Ref is its name, its Arn its ARN; a key’s Ref is its id', () => {
    const definitions = read({
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['R', 'Arn'] } } },
      Key: { Type: 'AWS::KMS::Key' },
      R: role(),
      P: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'R' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'lambda:InvokeFunction',
                Resource: [{ Ref: 'Fn' }, { 'Fn::GetAtt': ['Fn', 'Arn'] }],
              },
              { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { Ref: 'Key' } },
            ],
          },
        },
      },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          StateMachineName: 'runbook-x',
          RoleArn: { 'Fn::GetAtt': ['R', 'Arn'] },
          DefinitionString: '{"StartAt":"A","States":{}}',
        },
      },
    });
    expect(definitions.machineRoles.x).toEqual({
      arn: 'arn:aws:sts::123456789012:assumed-role/R/runbook-x',
      statements: [
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: ['Fn', 'arn:aws:lambda:us-east-1:123456789012:function:Fn'],
        },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'Key' },
      ],
    });
  });

  it.each([
    [
      'a permissions boundary',
      { R: role({ PermissionsBoundary: 'arn:aws:iam::123456789012:policy/b' }) },
      'permissions boundary of R',
    ],
    [
      'a customer managed policy',
      { M: { Type: 'AWS::IAM::ManagedPolicy', Properties: {} } },
      'does not evaluate AWS::IAM::ManagedPolicy (M)',
    ],
    [
      'a role policy',
      { RP: { Type: 'AWS::IAM::RolePolicy', Properties: {} } },
      'does not evaluate AWS::IAM::RolePolicy (RP)',
    ],
    [
      'an AWS managed policy it does not know',
      { R: role({ ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }) },
      'does not know what the managed policy arn:aws:iam::aws:policy/AdministratorAccess grants',
    ],
    [
      'a statement it cannot evaluate',
      {
        R: role({
          Policies: [
            { PolicyDocument: { Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }] } },
          ],
        }),
      },
      'NotAction',
    ],
  ])('refuses %s, rather than ignore it', (_what, resources, message) => {
    expect(() => read(resources)).toThrow(message);
  });
});
