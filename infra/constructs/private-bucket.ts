// What every bucket of the stack is: encrypted, TLS only, private, owned by the account, versioned,
// and kept when the stack is deleted (records and exports outlive a stack).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

export const PRIVATE_BUCKET = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  versioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;
