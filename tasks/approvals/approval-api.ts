// The decision API's function, behind API Gateway with AWS IAM (SigV4) authorization: the caller is
// the ARN API Gateway authenticated, never anything in the body.
//   GET  /approvals                  the pending requests the caller may decide
//   GET  /approvals/{id}             one request (reading never decides)
//   POST /approvals/{id}/decision    { "decision": "approve" | "reject", "summaryHash": "...", "comment": "..." }
// Refusals answer with their HTTP status and { "error": <code>, "message": ... }; each one is also
// recorded on the request (tasks/approvals/rules.ts), and logged without the task token.
// The approval service's schedule also invokes it with { "redeliver": true, "now": ... }: decided
// outcomes that Step Functions did not take are sent again. Only this function may resume a run.

import { describeIssues } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { getRequest, listPending, Refused, redeliver, submitDecision } from './decisions.ts';
import { identityOf } from './identity.ts';
import type { ApprovalRequest } from './request.ts';
import { REFUSALS } from './rules.ts';

/** The parts of an API Gateway (REST, proxy integration) event the API reads. */
const ApiEventSchema = z.object({
  httpMethod: z.string(),
  resource: z.string(),
  pathParameters: z.record(z.string(), z.string()).nullable().default(null),
  body: z.string().nullable().default(null),
  requestContext: z.object({ identity: z.object({ userArn: z.string().nullable().default(null) }) }),
});

/** The schedule's event: send again what was decided and did not reach its run. */
const RedeliverEventSchema = z.strictObject({ redeliver: z.literal(true), now: z.string().min(1) });

export const DecisionBodySchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  /** The hash of the summary the approver was shown. */
  summaryHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-hex-digit summary hash of the request'),
  /** A comment on an approval; the reason of a rejection (required there). */
  comment: z.string().max(500).optional(),
});

/** What API Gateway answers the caller. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = (statusCode: number, value: unknown): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(value),
});

/** A request as the API shows it: everything but the task token, which never leaves the table. */
const shown = (r: ApprovalRequest, mayDecide?: boolean) => ({
  approvalId: r.approvalId,
  status: r.status,
  summary: r.summary,
  summaryHash: r.summaryHash,
  rule: r.rule,
  requestedAt: r.requestedAt,
  expiresAt: r.expiresAt,
  executionId: r.executionId,
  decisions: r.decisions,
  startedBy: r.startedBy,
  delivery: r.delivery,
  refusals: r.refusals.length,
  ...(mayDecide !== undefined && { mayDecide }),
});

export const approvalApi = defineWorker({
  name: 'approval-api',
  entry: import.meta.url,
  actions: [
    'cloudtrail:LookupEvents',
    'dynamodb:GetItem',
    'dynamodb:Scan',
    'dynamodb:UpdateItem',
    'states:SendTaskSuccess',
    'states:SendTaskFailure',
  ],
  input: z.union([RedeliverEventSchema, ApiEventSchema]),
  run: async (event, clients): Promise<ApiResponse | { redelivered: Record<string, number> }> => {
    const table = process.env.RUNBOOK_TABLE ?? '';
    if ('redeliver' in event) return { redelivered: await redeliver(clients, table, event.now) };
    const now = new Date().toISOString();
    const caller = identityOf(event.requestContext.identity.userArn ?? '');
    if (!caller)
      return json(403, { error: 'NotAnApprover', message: 'the caller is not an IAM user or role session' });
    const id = event.pathParameters?.id ?? '';
    try {
      const route = `${event.httpMethod} ${event.resource}`;
      if (route === 'GET /approvals')
        return json(200, {
          approvals: (await listPending(clients, table, caller, now)).map((r) => shown(r)),
        });
      if (route === 'GET /approvals/{id}') {
        const view = await getRequest(clients, table, id, caller, now);
        return json(200, shown(view.request, view.mayDecide));
      }
      if (route === 'POST /approvals/{id}/decision') {
        let raw: unknown;
        try {
          raw = JSON.parse(event.body ?? '');
        } catch {
          return json(400, { error: 'InvalidInput', message: 'the body is not JSON' });
        }
        const body = DecisionBodySchema.safeParse(raw);
        if (!body.success) return json(400, { error: 'InvalidInput', message: describeIssues(body.error) });
        const outcome = await submitDecision(clients, table, id, {
          caller,
          decision: body.data.decision,
          summaryHash: body.data.summaryHash,
          comment: body.data.comment ?? null,
          now,
        });
        return json(200, {
          ...shown(outcome.request),
          remaining: outcome.remaining,
          delivery: outcome.delivery,
        });
      }
      return json(404, { error: 'NotFound', message: `no route ${route}` });
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      // The record of the refusal is on the request; this line is for a refusal of an unknown request too.
      console.warn(
        JSON.stringify({ refused: error.code, caller: caller.arn, approvalId: id, message: error.message }),
      );
      return json(REFUSALS[error.code].http, { error: error.code, message: error.message });
    }
  },
  summarize: (r) =>
    'statusCode' in r
      ? `HTTP ${r.statusCode}`
      : `redelivered: ${r.redelivered.delivered} delivered, ${r.redelivered.ended} ended, ${r.redelivered.failed} failed`,
});

export const handler = lambdaHandler(approvalApi);
