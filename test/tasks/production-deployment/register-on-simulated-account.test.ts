// The new revision against the simulated ECS (a file of its own: no client mock here): everything the
// running revision has, its volumes, platform and storage included, but the image.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { SimulatedAccount } from '../../../rehearsal/account/account.ts';
import { simulatedClients } from '../../../rehearsal/account/clients.ts';
import { registerTaskDefinition } from '../../../tasks/production-deployment/register-task-definition.ts';
import { invoke } from '../../../tasks/worker.ts';

describe('register-task-definition on the simulated account', () => {
  it('keeps every field of the revision it copies, but the image', async () => {
    // Given the running revision of prod/app
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table: 'runbook-state' });
    const ecs = account.service('ecs');
    const from = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
    const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'c'.repeat(64)}`;

    // When the next revision is registered with a new image
    const { taskDefinition } = (await invoke(
      registerTaskDefinition,
      { from, containerName: 'app', image },
      simulatedClients(account, 'us-east-1'),
    )) as { taskDefinition: string };

    // Then it is the old one but for the image and what ECS sets itself
    const strip = ({ taskDefinitionArn: _a, revision: _r, ...rest }: Record<string, unknown>) => rest;
    const before = strip(ecs.describeTaskDefinition({ taskDefinition: from }).taskDefinition);
    const after = strip(ecs.describeTaskDefinition({ taskDefinition }).taskDefinition);
    expect(after).toEqual({
      ...before,
      containerDefinitions: (before.containerDefinitions as { name: string }[]).map((c) =>
        c.name === 'app' ? { ...c, image } : c,
      ),
    });
    expect(after).toMatchObject({
      volumes: [{ name: 'scratch', host: {} }],
      ephemeralStorage: { sizeInGiB: 30 },
    });
  });
});
