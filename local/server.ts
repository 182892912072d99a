// `runbook local`: the Step Functions API on 127.0.0.1, as AWS speaks it (JSON 1.0: `POST /` with
// `X-Amz-Target: AWSStepFunctions.<Action>`; errors as HTTP 400 with `__type` and `message`;
// timestamps as epoch seconds), so the runbook CLI, the AWS CLI and any SDK run against a laptop.
// Any SigV4 signature is accepted, none is required. Beside it, under /v1/, the approvals API
// (tasks/approvals/approval-api.ts), where the access key you sign with says who you are.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../infra/config.ts';
import { simulatedClients } from '../rehearsal/account/clients.ts';
import { fill } from '../rehearsal/approvals.ts';
import { type ApiResponse, approvalApi } from '../tasks/approvals/approval-api.ts';
import { readRequest } from '../tasks/approvals/store.ts';
import { invoke } from '../tasks/worker.ts';
import { ApiError, type Execution, type LocalStepFunctions } from './executions.ts';
import type { HistoryEvent } from './history.ts';

const seconds = (ms: number | null) => (ms === null ? undefined : ms / 1000);

/**
 * A page of a list, and the token of the next: a cursor naming the last item given (not an
 * offset), so a page read while the list grows (a history, newest first) goes on where it was.
 */
function page<T>(
  items: T[],
  request: Record<string, unknown>,
  keyOf: (item: T) => string,
  max = 1000,
): { items: T[]; nextToken?: string } {
  const size =
    request.maxResults === undefined || request.maxResults === 0 ? 100 : Number(request.maxResults);
  if (!Number.isInteger(size) || size < 0 || size > max)
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${String(request.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  let from = 0;
  if (request.nextToken !== undefined) {
    const after = Buffer.from(String(request.nextToken), 'base64url').toString();
    from = items.findIndex((item) => keyOf(item) === after) + 1;
    if (from === 0) throw new ApiError('InvalidToken', `Invalid Token: '${String(request.nextToken)}'`);
  }
  const given = items.slice(from, from + size);
  const last = given.at(-1);
  return from + size < items.length && last !== undefined
    ? { items: given, nextToken: Buffer.from(keyOf(last)).toString('base64url') }
    : { items: given };
}

const summaryOf = (e: Execution) => ({
  executionArn: e.executionArn,
  stateMachineArn: e.stateMachineArn,
  name: e.name,
  status: e.status,
  startDate: seconds(e.startDate),
  ...(e.stopDate !== null && { stopDate: seconds(e.stopDate) }),
  redriveCount: 0,
});

const wireEvent = (e: HistoryEvent, withData: boolean) => {
  const { timestamp, ...rest } = e;
  const event: Record<string, unknown> = { ...rest, timestamp: timestamp / 1000 };
  if (!withData)
    for (const [key, value] of Object.entries(event))
      if (key.endsWith('EventDetails') && value && typeof value === 'object') {
        const { input: _i, output: _o, parameters: _p, ...kept } = value as Record<string, unknown>;
        event[key] = kept;
      }
  return event;
};

/** The Step Functions actions: each takes the request's JSON and answers JSON. */
function actions(store: LocalStepFunctions): Record<string, (r: Record<string, unknown>) => unknown> {
  return {
    ListStateMachines: (r) => {
      const { items, nextToken } = page(store.stateMachines(), r, (m) => m.stateMachineArn);
      return {
        stateMachines: items.map((m) => ({
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          type: m.type,
          creationDate: seconds(m.creationDate),
        })),
        ...(nextToken && { nextToken }),
      };
    },
    DescribeStateMachine: (r) => {
      const { updateDate, ...m } = describeMachine(store.stateMachine(r.stateMachineArn));
      return { ...m, status: 'ACTIVE', creationDate: updateDate };
    },
    // The same machine, as the execution ran it (the endpoint's definitions do not change while it runs).
    DescribeStateMachineForExecution: (r) => {
      const { type: _type, ...m } = describeMachine(
        store.stateMachine(store.execution(r.executionArn).stateMachineArn),
      );
      return m;
    },
    StartExecution: (r) => {
      const e = store.start(r);
      return { executionArn: e.executionArn, startDate: seconds(e.startDate) };
    },
    DescribeExecution: (r) => {
      const e = store.execution(r.executionArn);
      return {
        ...summaryOf(e),
        input: e.input,
        inputDetails: { included: true },
        ...(e.output !== null && { output: e.output, outputDetails: { included: true } }),
        ...(e.error !== null && { error: e.error }),
        ...(e.cause !== null && { cause: e.cause }),
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'The local endpoint does not redrive executions.',
      };
    },
    ListExecutions: (r) => {
      const all = store.list(r.stateMachineArn).filter((e) => !r.statusFilter || e.status === r.statusFilter);
      const { items, nextToken } = page(all, r, (e) => e.executionArn);
      return { executions: items.map(summaryOf), ...(nextToken && { nextToken }) };
    },
    GetExecutionHistory: (r) => {
      const e = store.execution(r.executionArn);
      const ordered = r.reverseOrder === true ? [...e.history].reverse() : e.history;
      const { items, nextToken } = page(ordered, r, (e) => String(e.id));
      return {
        events: items.map((event) => wireEvent(event, r.includeExecutionData !== false)),
        ...(nextToken && { nextToken }),
      };
    },
    StopExecution: (r) => {
      store.stop(r);
      return { stopDate: Date.now() / 1000 };
    },
    SendTaskSuccess: (r) => store.callback('SendTaskSuccess', r),
    SendTaskFailure: (r) => store.callback('SendTaskFailure', r),
    SendTaskHeartbeat: (r) => store.callback('SendTaskHeartbeat', r),
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

/** Who signed: the access key id is the person, in the first approver role the config names. */
export function localCaller(req: IncomingMessage, config: Config): string | null {
  const keyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!keyId || !/^[\w+=,.@-]{1,64}$/.test(keyId)) return null;
  const pattern = Object.values(config.environments).flatMap((env) => env.approvers)[0];
  return pattern ? fill(pattern, keyId) : null;
}

/** The approvals API's routes under /v1/, as API Gateway maps them to the function's resources. */
export const APPROVAL_ROUTES: [RegExp, string][] = [
  [/^\/v1\/approvals$/, '/approvals'],
  [/^\/v1\/approvals\/([^/]+)$/, '/approvals/{id}'],
  [/^\/v1\/approvals\/([^/]+)\/decision$/, '/approvals/{id}/decision'],
];

/** What DescribeStateMachine and DescribeStateMachineForExecution both answer of a machine. */
function describeMachine(m: ReturnType<LocalStepFunctions['stateMachine']>) {
  return {
    stateMachineArn: m.stateMachineArn,
    name: m.name,
    definition: m.definition,
    roleArn: m.roleArn,
    type: m.type,
    updateDate: seconds(m.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

/** The approvals API over the runs in progress: a request is decided in the account of its run. */
async function approvals(
  store: LocalStepFunctions,
  config: Config,
  table: string,
  req: IncomingMessage,
  body: string,
): Promise<ApiResponse> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const route = APPROVAL_ROUTES.find(([re]) => re.test(path));
  const json = (statusCode: number, value: unknown): ApiResponse => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  if (!route) return json(403, { message: 'Missing Authentication Token' });
  const caller = localCaller(req, config);
  if (!caller) return json(403, { message: 'Missing Authentication Token' });
  const id = route[0].exec(path)?.[1];
  const event = {
    httpMethod: req.method,
    resource: route[1],
    pathParameters: id ? { id: decodeURIComponent(id) } : null,
    body: body || null,
    requestContext: { identity: { userArn: caller } },
  };
  const accounts = store.accounts().map((account) => simulatedClients(account, config.region));
  if (!id) {
    // Every run's pending requests, in one list.
    const lists = await Promise.all(
      accounts.map(async (clients) =>
        JSON.parse(((await invoke(approvalApi, event, clients)) as ApiResponse).body),
      ),
    );
    return json(200, { approvals: lists.flatMap((l: { approvals?: unknown[] }) => l.approvals ?? []) });
  }
  for (const clients of accounts)
    if (await readRequest(clients.dynamodb, table, decodeURIComponent(id)))
      return (await invoke(approvalApi, event, clients)) as ApiResponse;
  return json(404, { error: 'NotFound', message: `no approval request ${id}` });
}

export interface LocalEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function serveLocal(
  store: LocalStepFunctions,
  {
    config,
    table,
    port = 0,
    host = '127.0.0.1',
  }: { config: Config; table: string; port?: number; host?: string },
): Promise<LocalEndpoint> {
  const handlers = actions(store);
  // The approval API's function reads its table as the stack configures it, from its environment.
  process.env.RUNBOOK_TABLE = table;
  const send = (res: ServerResponse, status: number, value: unknown, type = 'application/x-amz-json-1.0') => {
    res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': crypto.randomUUID() });
    res.end(JSON.stringify(value));
  };
  const server = createServer((req, res) => {
    (async () => {
      const body = await readBody(req);
      if ((req.url ?? '').startsWith('/v1/')) {
        const answer = await approvals(store, config, table, req, body);
        res.writeHead(answer.statusCode, answer.headers);
        res.end(answer.body);
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      const handler = req.method === 'POST' ? handlers[action] : undefined;
      if (!handler) {
        send(res, 400, { __type: 'UnknownOperationException', message: `Unknown operation '${target}'` });
        return;
      }
      let request: Record<string, unknown>;
      try {
        request = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        send(res, 400, { __type: 'SerializationException', message: 'The request body is not JSON' });
        return;
      }
      try {
        send(res, 200, handler(request));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        send(res, 400, { __type: error.code, message: error.message });
      }
    })().catch((error: Error) => {
      send(res, 500, { __type: 'InternalFailure', message: `${error.name}: ${error.message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
