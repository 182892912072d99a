// One poll of the services a restore's swap redeployed, each with the deployment's own checks
// (check-deployment: our deployment PRIMARY and COMPLETED, running == desired, its new targets
// healthy past the grace period). Done when every one is; the first that fails ends the wait with
// that check's error, naming the service. The loop is in the state machine.
import { checkDeployment } from '../check-deployment.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ServiceUserSchema } from './input.ts';

export const checkRedeployments = defineWorker({
  name: 'check-redeployments',
  entry: import.meta.url,
  actions: checkDeployment.actions,
  input: PollSchema.extend({
    services: z
      .array(
        ServiceUserSchema.extend({
          taskDefinition: z.string().min(1),
          deploymentId: z.string().min(1).nullable(),
        }),
      )
      .max(20),
    /** Each service's consecutive polls with an unhealthy new target so far, in order. */
    streaks: z.array(z.number().int().min(0)).default([]),
    unhealthyLimit: z.number().int().min(1),
    now: z.string().min(1),
  }),
  run: async ({ services, streaks, unhealthyLimit, now, attempt, maxAttempts }, clients) => {
    const checked = [];
    for (const [i, s] of services.entries()) {
      const result = await checkDeployment.run(
        {
          cluster: s.cluster,
          service: s.service,
          taskDefinition: s.taskDefinition,
          deploymentId: s.deploymentId,
          desiredCount: null,
          desiredRange: null,
          deploymentMade: true,
          targets: { targetGroupArn: s.targetGroupArn, targetType: s.targetType, unhealthyLimit },
          unhealthyStreak: streaks[i] ?? 0,
          now,
          attempt,
          maxAttempts,
        },
        clients,
      );
      checked.push({ name: s.name, ...result });
    }
    return {
      done: checked.every((c) => c.done),
      attempt: attempt + 1,
      streaks: checked.map((c) => c.unhealthyStreak),
      services: checked.map(({ name, done, rolloutState, running, desired, healthy }) => ({
        name,
        done,
        rolloutState,
        running,
        desired,
        healthy,
      })),
    };
  },
  summarize: (r) =>
    r.services.map((s) => `${s.name} ${s.rolloutState} ${s.running}/${s.desired}`).join(', ') || 'no service',
});

export const handler = lambdaHandler(checkRedeployments);
