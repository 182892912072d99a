// Simulated S3: objects in buckets, as the run archive writes and reads them. It answers what S3
// answers of a key that is not there (NoSuchKey; HeadObject a bare 404 NotFound), lists keys in
// order a page of at most 1000 at a time, and keeps every version written, as a versioned bucket does;
// the report lists each bucket's keys.
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

interface StoredObject {
  readonly body: string;
  readonly metadata: Record<string, string>;
  readonly contentType: string | undefined;
}

export class SimulatedS3 implements SimulatedService {
  readonly name = 's3';
  /** Bucket -> key -> versions, oldest first. */
  private readonly buckets = new Map<string, Map<string, StoredObject[]>>();

  readonly commands = {
    PutObject: (input: {
      Bucket?: string;
      Key?: string;
      Body?: unknown;
      Metadata?: Record<string, string>;
      ContentType?: string;
    }) => {
      const versions = this.versions(input.Bucket, input.Key, true);
      versions.push({
        body:
          typeof input.Body === 'string'
            ? input.Body
            : Buffer.from(input.Body as Uint8Array).toString('utf8'),
        metadata: { ...(input.Metadata ?? {}) },
        contentType: input.ContentType,
      });
      return { VersionId: String(versions.length) };
    },
    HeadObject: (input: { Bucket?: string; Key?: string }) => {
      const latest = this.versions(input.Bucket, input.Key, false).at(-1);
      // HeadObject has no body to carry an error code: S3 answers a bare 404.
      if (!latest) throw awsError('NotFound', 'Not Found', { $metadata: { httpStatusCode: 404 } });
      return {
        Metadata: latest.metadata,
        ContentType: latest.contentType,
        ContentLength: latest.body.length,
      };
    },
    GetObject: (input: { Bucket?: string; Key?: string }) => {
      const latest = this.versions(input.Bucket, input.Key, false).at(-1);
      if (!latest) throw awsError('NoSuchKey', 'The specified key does not exist.');
      return {
        Metadata: latest.metadata,
        ContentType: latest.contentType,
        Body: { transformToString: async () => latest.body },
      };
    },
    ListObjectsV2: (input: {
      Bucket?: string;
      Prefix?: string;
      MaxKeys?: number;
      ContinuationToken?: string;
    }) => {
      if (!input.Bucket) throw awsError('InvalidRequest', 'Bucket is required');
      if (!this.buckets.has(input.Bucket))
        throw awsError('NoSuchBucket', 'The specified bucket does not exist');
      // In key order, at most MaxKeys (1000) a page, as S3 lists them; the token is where the next page starts.
      const keys = [...(this.buckets.get(input.Bucket)?.keys() ?? [])]
        .filter((k) => k.startsWith(input.Prefix ?? ''))
        .sort();
      const from = input.ContinuationToken ? keys.findIndex((k) => k > String(input.ContinuationToken)) : 0;
      const page = keys.slice(
        from < 0 ? keys.length : from,
        (from < 0 ? keys.length : from) + Math.min(input.MaxKeys ?? 1000, 1000),
      );
      const more = (from < 0 ? keys.length : from) + page.length < keys.length;
      return {
        Contents: page.map((Key) => ({ Key })),
        KeyCount: page.length,
        IsTruncated: more,
        ...(more && { NextContinuationToken: page.at(-1) }),
      };
    },
  };

  readonly changes = {
    PutObject: (input: { Bucket?: string; Key?: string }) => ({
      target: String(input.Bucket),
      detail: `object ${input.Key}`,
    }),
  };

  private versions(bucket: string | undefined, key: string | undefined, create: boolean): StoredObject[] {
    if (!bucket || !key) throw awsError('InvalidRequest', 'Bucket and Key are required');
    let objects = this.buckets.get(bucket);
    if (!objects) {
      objects = new Map();
      if (create) this.buckets.set(bucket, objects);
    }
    let versions = objects.get(key);
    if (!versions) {
      versions = [];
      if (create) objects.set(key, versions);
    }
    return versions;
  }

  report() {
    return {
      s3Objects: [...this.buckets].flatMap(([bucket, objects]) =>
        [...objects].map(([key, versions]) => ({ bucket, key, versions: versions.length })),
      ),
    };
  }
}
