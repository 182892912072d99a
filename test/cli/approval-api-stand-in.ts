// A local stand-in of the decision API for the CLI's tests: an HTTP server that does what API Gateway
// does in front of the approval-api function (checks the SigV4 signature against known credentials,
// refuses a bad one with 403, passes the caller's ARN as requestContext.identity.userArn) and runs
// the real function against a simulated account's table and Step Functions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Config } from '../../infra/config.ts';
import { APPROVAL_ROUTES, readBody } from '../../local/server.ts';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';
import { simulatedClients } from '../../rehearsal/account/clients.ts';
import { Sha256 } from '../../scripts/approvals.ts';
import { type ApiResponse, approvalApi } from '../../tasks/approvals/approval-api.ts';
import { invoke } from '../../tasks/worker.ts';

export const TABLE = 'runbook-state';

export interface Caller {
  readonly secret: string;
  readonly arn: string;
}

/** Whether the request carries a valid SigV4 signature of these credentials: it is signed again and compared. */
async function callerOf(req: IncomingMessage, body: string, callers: Record<string, Caller>, region: string) {
  const auth = String(req.headers.authorization ?? '');
  const keyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
  const caller = callers[keyId];
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!caller || !date) return null;
  const signedHeaders = (/SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '').split(';');
  const headers = Object.fromEntries(
    signedHeaders.filter((h) => h !== 'x-amz-date').map((h) => [h, String(req.headers[h] ?? '')]),
  );
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: { accessKeyId: keyId, secretAccessKey: caller.secret },
    sha256: Sha256,
  });
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers,
      body: body || undefined,
    },
    { signingDate },
  );
  return expected.headers.authorization === auth ? caller : null;
}

/** Starts the stand-in on a free local port; its account holds the approvals table and the task tokens. */
export async function startStandIn(config: Config, callers: Record<string, Caller>) {
  const account = new SimulatedAccount({ config, faults: {}, table: TABLE });
  const clients = simulatedClients(account, config.region);
  process.env.RUNBOOK_TABLE = TABLE;
  const server = createServer((req, res) => {
    serve(req, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `${error.name}: ${error.message}` }));
    });
  });
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const caller = await callerOf(req, body, callers, config.region);
    if (!caller) {
      res.setHeader(
        'x-amzn-ErrorType',
        'InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/',
      );
      return send(403, {
        Message: 'The request signature we calculated does not match the signature you provided.',
      });
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = APPROVAL_ROUTES.find(([re]) => re.test(path));
    if (!route) return send(403, { message: 'Missing Authentication Token' });
    const id = route[0].exec(path)?.[1];
    const answer = (await invoke(
      approvalApi,
      {
        httpMethod: req.method,
        resource: route[1],
        pathParameters: id ? { id } : null,
        body: body || null,
        requestContext: { identity: { userArn: caller.arn } },
      },
      clients,
    )) as ApiResponse;
    res.writeHead(answer.statusCode, answer.headers);
    res.end(answer.body);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/`,
    account,
    clients,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
