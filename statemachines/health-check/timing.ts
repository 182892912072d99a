// health-check's time budget: no polls; each step's attempts at their task timeout, with the
// retries' backoff, and a margin.
import { RETRY_ATTEMPTS } from '../invoke-worker.ts';
import { TASK_TIMEOUT_SECONDS } from '../timing.ts';

/** Steps one after another: validate, the checks (side by side), the report, the notice, the failure notice. */
const STEPS_IN_LINE = 5;

/** The health-check machine's execution timeout. */
export function healthCheckTimeoutSeconds(): number {
  const { lambda, aws, unknown } = RETRY_ATTEMPTS.read;
  // Every attempt at its timeout, and the longest backoffs between them (at most 30 s each, say 60 s).
  const perStep = (1 + lambda + aws + unknown) * (TASK_TIMEOUT_SECONDS + 60);
  return STEPS_IN_LINE * perStep + 600;
}
