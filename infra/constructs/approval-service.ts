// The approval service: its decision API, API Gateway (REST) in front of the approval-api function,
// every route authorized with AWS IAM (SigV4), so the approver is whoever AWS authenticated; and the
// schedule that reminds people of pending requests (remind-approvals) and sends again decisions Step
// Functions did not take (approval-api). Only principals
// of this account may call it (resource policy), and only those whose own policy allows
// execute-api:Invoke on it (an approvers' SSO permission set, say); the approver patterns of the
// config then decide who may decide what. Access and execution logs, never request bodies.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { approvalApi } from '../../tasks/approvals/approval-api.ts';
import { remindApprovals } from '../../tasks/approvals/remind-approvals.ts';
import type { Workers } from './workers.ts';

export interface ApprovalServiceProps {
  readonly workers: Workers;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
}

export class ApprovalService extends Construct {
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, { workers, table, topic }: ApprovalServiceProps) {
    super(scope, id);
    const fn = workers.fn(approvalApi);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const account = Stack.of(this).account;
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'runbook approvals: list, read and decide approval requests (AWS IAM authorization)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.AccountPrincipal(account)],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
          }),
        ],
      }),
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Bodies carry comments and reasons; the decision itself is on the request and in the history.
        dataTraceEnabled: false,
        tracingEnabled: true,
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
      },
    });
    const integration = new apigw.LambdaIntegration(fn, { timeout: Duration.seconds(29) });
    const approvals = this.api.root.addResource('approvals');
    approvals.addMethod('GET', integration);
    const one = approvals.addResource('{id}');
    one.addMethod('GET', integration);
    const decision = this.api.addModel('Decision', {
      contentType: 'application/json',
      schema: {
        type: apigw.JsonSchemaType.OBJECT,
        required: ['decision', 'summaryHash'],
        additionalProperties: false,
        properties: {
          decision: { type: apigw.JsonSchemaType.STRING, enum: ['approve', 'reject'] },
          summaryHash: { type: apigw.JsonSchemaType.STRING, pattern: '^[0-9a-f]{64}$' },
          comment: { type: apigw.JsonSchemaType.STRING, maxLength: 500 },
        },
      },
    });
    one.addResource('decision').addMethod('POST', integration, {
      requestValidator: new apigw.RequestValidator(this, 'Body', {
        restApi: this.api,
        validateRequestBody: true,
        validateRequestParameters: true,
      }),
      requestModels: { 'application/json': decision },
    });
    // The RestApi's own output (ApprovalsApiEndpoint...) is its URL: `runbook approve` reads it.

    // Reminders within five minutes of when each request's policy asks for them, and the delivery of
    // decisions that did not reach their run.
    new events.Rule(this, 'Reminders', {
      description:
        'Reminds of pending approval requests, pages near their expiry, and delivers decided outcomes again.',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new eventTargets.LambdaFunction(workers.fn(remindApprovals), {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
          event: events.RuleTargetInput.fromObject({
            table: table.tableName,
            topicArn: topic.topicArn,
            now: events.EventField.time,
          }),
        }),
        // Decided outcomes that Step Functions did not take are sent again by the one function that may.
        new eventTargets.LambdaFunction(fn, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
          event: events.RuleTargetInput.fromObject({ redeliver: true, now: events.EventField.time }),
        }),
      ],
    });

    const ack = (finding: string, reason: string) =>
      Validations.of(this).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
    ack(
      'COG4',
      'Every method is authorized with AWS IAM (SigV4): the approver is the caller AWS authenticated, which the approval rules match against the configured approver patterns.',
    );
    ack(
      'APIG3',
      'A private, IAM-authorized API for a handful of people: requests without a valid SigV4 signature of this account are refused before the function runs; stage throttling bounds the rest.',
    );
    ack(
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level role for execution logs: the managed policy only lets API Gateway write its own logs.",
    );
  }
}
