// Registered once for every test file: the engine polyfill and the aws-sdk-client-mock matchers.
import '../rehearsal/polyfill.ts';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, expect } from 'vitest';
import { MOCKED_CLIENTS } from './mocked-clients.ts';

expect.extend(allCustomMatcher);

// Files share their worker's modules (vitest.config.ts). aws-sdk-client-mock stubs a client class's
// send on its prototype; when a file ends its stubs go, so that the next file (a mock of its own, or
// the simulated account's real clients) starts from the SDK as it is.
afterAll(() => {
  for (const client of MOCKED_CLIENTS) (client.prototype.send as { restore?: () => void }).restore?.();
});
