// Errors the simulated account throws: the names and fields real AWS SDK v3 errors carry.
export function awsError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const transient = /Throttl|ServerException|ServiceUnavailable|InternalFailure/.test(name);
  return Object.assign(new Error(message), {
    name,
    $fault: transient ? 'server' : 'client',
    $metadata: { httpStatusCode: transient ? 503 : 400, attempts: 1, totalRetryDelay: 0 },
    ...extra,
  });
}
