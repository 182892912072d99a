// The notifications topic: KMS-encrypted, TLS only, email subscribers from the config; the page
// list only receives page-severity notices.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** @default - no subscribers */
  readonly email?: readonly string[];
  /** Receive only page-severity notices. @default - nobody is paged */
  readonly pageEmail?: readonly string[];
}

export class Notifications extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: NotificationsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the runbook notifications topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms on the state machines publish to this topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Runbook notifications',
      masterKey: this.key,
      enforceSSL: true,
    });
    // With enforceSSL the topic has a policy of its own, which replaces the default one:
    // the state machines' alarms (named runbook-*) need an explicit grant to publish.
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:runbook-*` },
        },
      }),
    );
    for (const address of props.email ?? [])
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    for (const address of props.pageEmail ?? []) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(address, {
          filterPolicy: { severity: sns.SubscriptionFilter.stringFilter({ allowlist: ['page'] }) },
        }),
      );
    }
  }
}
