// The role a CI pipeline assumes through GitHub's OIDC provider to run the runbook: it may start
// this stack's state machines, follow their executions (nested ones included) and read their
// histories, and nothing else. It cannot stop a run, send a task token or call the approvals API,
// and the approval rules refuse it as an approver (catalogueOf lists it among the CI principals).
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CiConfig } from '../config.ts';

export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';

export interface CiRoleProps {
  readonly ci: CiConfig;
  /** The stack's state machines, with their names (their executions' ARNs are made of them). */
  readonly machines: readonly { readonly machine: sfn.IStateMachine; readonly name: string }[];
}

export class CiRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, { ci, machines }: CiRoleProps) {
    super(scope, id);
    // The native AWS::IAM::OIDCProvider: no custom resource, and so no Lambda function of its own.
    const provider = ci.oidcProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHub', ci.oidcProviderArn)
      : new iam.OidcProviderNative(this, 'GitHub', {
          url: GITHUB_OIDC_URL,
          clientIds: ['sts.amazonaws.com'],
        });
    this.role = new iam.Role(this, 'Role', {
      roleName: ci.roleName,
      // A production run, with its approval and bake, outlasts the default hour of a session.
      maxSessionDuration: Duration.hours(12),
      description: `Assumed by GitHub Actions of ${ci.repository} to start and follow runbook runs; never approves.`,
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        // Only the workflows of this repository, on these branches or GitHub environments.
        'ForAnyValue:StringLike': {
          'token.actions.githubusercontent.com:sub': ci.subjects.map((s) => `repo:${ci.repository}:${s}`),
        },
      }),
    });
    const { account, region, partition } = Stack.of(this);
    const executions = machines.map(
      ({ name }) => `arn:${partition}:states:${region}:${account}:execution:${name}:*`,
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StartAndListRuns',
        actions: ['states:StartExecution', 'states:DescribeStateMachine', 'states:ListExecutions'],
        resources: machines.map(({ machine }) => machine.stateMachineArn),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FollowRuns',
        actions: [
          'states:DescribeExecution',
          'states:GetExecutionHistory',
          'states:DescribeStateMachineForExecution',
        ],
        resources: executions,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FindMachinesByName',
        actions: ['states:ListStateMachines'],
        resources: ['*'],
      }),
    );
    const ack = (finding: string, reason: string) =>
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${finding}]`,
        reason,
      });
    ack(
      '*',
      'states:ListStateMachines has no resource-level permissions; the CLI finds the machines by name with it.',
    );
    for (const { name } of machines)
      ack(
        `arn:<AWS::Partition>:states:${region}:${account}:execution:${name}:*`,
        `Following a run (DescribeExecution, GetExecutionHistory) of ${name}, whose execution names are not known in advance.`,
      );
  }
}
