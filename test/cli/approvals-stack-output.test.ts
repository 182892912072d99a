// Where `runbook approvals` finds the decision API without --api or RUNBOOK_APPROVALS_API: the output
// the stack's RestApi adds (ApprovalsApiEndpoint<hash>), read with DescribeStacks. CloudFormation is
// mocked (a file of its own: the mock replaces every CloudFormation client of the process); the API
// behind the URL it gives is the signature-checking stand-in.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { listApprovals } from '../../scripts/approvals.ts';
import { startStandIn } from './approval-api-stand-in.ts';

const config = loadConfig();
const cloudformation = mockClient(CloudFormationClient);
const CALLERS = {
  AKIDBOB: {
    secret: 'bob-secret',
    arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdDeployApprover_ab12/bob@company.com',
  },
};
let standIn: Awaited<ReturnType<typeof startStandIn>>;
let saved: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  standIn = await startStandIn(config, CALLERS);
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  saved = { ...process.env };
  cloudformation.reset();
  delete process.env.RUNBOOK_APPROVALS_API;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDBOB';
  process.env.AWS_SECRET_ACCESS_KEY = 'bob-secret';
});
afterEach(() => {
  process.env = { ...saved };
});

const list = async () => {
  const lines: string[] = [];
  await listApprovals({ json: true }, config, (line) => lines.push(line));
  return JSON.parse(lines.join('\n')) as { approvals: unknown[] };
};

describe('the decision API’s URL from the stack', () => {
  it('is the stack’s ApprovalsApiEndpoint output', async () => {
    // Given
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: config.stackName,
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'SomethingElse', OutputValue: 'https://example.invalid/' },
            { OutputKey: 'ApprovalsApiEndpoint4F1C2A9E', OutputValue: standIn.url },
          ],
        },
      ],
    });

    // When / Then the listing went to the stand-in, signed, and answered
    expect(await list()).toEqual({ approvals: [] });
    expect(cloudformation).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, {
      StackName: config.stackName,
    });
  });

  it('is refused, saying to give --api, when the stack has no such output', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: config.stackName, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE' }],
    });
    await expect(list()).rejects.toMatchObject({
      name: 'ApiError',
      exitCode: 1,
      message: `stack ${config.stackName} has no approvals API output (give --api)`,
    });
  });

  it('is refused, saying why and to give --api, when the stack cannot be read', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error(`Stack with id ${config.stackName} does not exist`), {
        name: 'ValidationError',
      }),
    );
    await expect(list()).rejects.toMatchObject({
      exitCode: 1,
      message: `cannot read the outputs of stack ${config.stackName}: Stack with id ${config.stackName} does not exist (or give --api)`,
    });
  });

  it('is not looked up when RUNBOOK_APPROVALS_API names it', async () => {
    process.env.RUNBOOK_APPROVALS_API = standIn.url;
    expect(await list()).toEqual({ approvals: [] });
    expect(cloudformation).not.toHaveReceivedAnyCommand();
  });
});
