// Where a person looks next: the AWS console page of a resource, for reports and notices.

/** The AWS console page of something in the region, by the console's own paths. */
export function consoleUrl(region: string, path: string): string {
  return `https://${region}.console.aws.amazon.com/${path}`;
}
