// Where db-backup exports snapshots (StartExportTask): one bucket, the role RDS's export service
// assumes to write into it, and the KMS key the exported Parquet files are encrypted with. Made only
// when a configured database names an export prefix. An export is for analysis and long-term
// keeping; it cannot be restored (a snapshot is the backup).
import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Config } from '../config.ts';
import { PRIVATE_BUCKET } from './private-bucket.ts';

/** The export prefixes the config names, across environments. */
export const exportPrefixesOf = (config: Config) =>
  Object.values(config.environments).flatMap((env) =>
    Object.values(env.databases).flatMap((db) => (db.export ? [db.export.prefix] : [])),
  );

export class DatabaseExports extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: { prefixes: readonly string[] }) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the RDS snapshot exports of the runbook',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'Only the export role writes here, and each export is a CloudTrail-recorded StartExportTask; server access logs would need a second bucket.',
    });
    // The export service's role (RDS User Guide, "Setting up access to an Amazon S3 bucket"): write
    // and list the configured prefixes of this bucket, nothing else.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('export.rds.amazonaws.com'),
      description: 'Assumed by RDS to write snapshot exports of the runbook',
    });
    const objects = props.prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}/*`));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject*', 's3:GetObject*', 's3:DeleteObject*'],
        resources: objects,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [this.bucket.bucketArn],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Action::s3:PutObject*]`,
      reason:
        'The export service writes its files with several PutObject actions (tagging, ACL-free multipart).',
    });
    for (const action of ['GetObject*', 'DeleteObject*'])
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::s3:${action}]`,
        reason:
          'The export service reads back and replaces its own partial files (RDS User Guide export role policy).',
      });
    const bucketId = this.bucket.stack.getLogicalId(this.bucket.node.defaultChild as never);
    for (const prefix of props.prefixes)
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`,
        reason: 'Each export writes under <prefix>/<export task id>/, named by the run.',
      });
    new CfnOutput(scope, 'DatabaseExportBucket', {
      value: this.bucket.bucketName,
      description: 'Where db-backup exports snapshots',
    });
  }
}
