// Authorizes a caller's requests against its policies, and words a refusal as AWS does.
import type { Principal } from '../definitions.ts';
import { type AuthRequest, evaluate } from './policy.ts';

/** The first request the principal's policies do not allow, in AWS's words; null if all are allowed. */
export function denied(principal: Principal, requests: readonly AuthRequest[]): string | null {
  for (const request of requests) {
    const verdict = evaluate(principal.statements, request);
    if (verdict === 'allowed') continue;
    const why =
      verdict === 'explicitly denied'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${request.action} action`;
    return `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
  }
  return null;
}

/** The error code each simulated service answers an unauthorized call with. */
export const ACCESS_DENIED: Readonly<Record<string, string>> = {
  dynamodb: 'AccessDeniedException',
  ecs: 'AccessDeniedException',
  sfn: 'AccessDeniedException',
  cloudtrail: 'AccessDeniedException',
  elb: 'AccessDenied',
  rds: 'AccessDenied',
  cloudwatch: 'AccessDenied',
  // EC2's own code for a refused call.
  ec2: 'UnauthorizedOperation',
  logs: 'AccessDeniedException',
  autoscaling: 'AccessDeniedException',
  // The SDK's names of SNS's wire codes AuthorizationError and KMSAccessDenied.
  sns: 'AuthorizationErrorException',
};
