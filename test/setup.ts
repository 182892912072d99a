// Registered once for every test file: the engine polyfill and the aws-sdk-client-mock matchers.
import '../rehearsal/polyfill.ts';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { expect } from 'vitest';

expect.extend(allCustomMatcher);
