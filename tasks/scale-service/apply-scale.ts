// Sets a service's desired count, and first its scalable target's bounds when a scaler manages the
// count (so that the scaler holds the count rather than undoing it). Used both ways: to scale, and
// to put the service and its scaler back as they were when the scale failed. Each call is
// idempotent: a retry sets the same values.
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CapacitySchema, scalableResource } from '../autoscaling.ts';
import { aws } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const applyScale = defineWorker({
  name: 'apply-scale',
  entry: import.meta.url,
  // RegisterScalableTarget also needs the service described and updated (Application Auto Scaling
  // User Guide); UpdateService is granted with iam:PassRole, as to every caller of it, though this
  // worker never names a task definition (so passes no role).
  actions: [
    'application-autoscaling:RegisterScalableTarget',
    'ecs:DescribeServices',
    'ecs:UpdateService',
    'iam:PassRole',
  ],
  input: z.object({
    cluster: z.string().min(1),
    service: z.string().min(1),
    desiredCount: z.number().int().min(0),
    /** The scalable target's bounds to set first; null: leave the scaler (or its absence) alone. */
    scalableTarget: CapacitySchema.nullable(),
  }),
  run: async ({ cluster, service, desiredCount, scalableTarget }, { ecs, autoscaling }) => {
    if (scalableTarget)
      await aws('Application Auto Scaling RegisterScalableTarget', () =>
        autoscaling.send(
          new RegisterScalableTargetCommand({
            ...scalableResource(cluster, service),
            MinCapacity: scalableTarget.min,
            MaxCapacity: scalableTarget.max,
          }),
        ),
      );
    const updated = await aws('ECS UpdateService', () =>
      ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount })),
    );
    return { desiredCount: updated.service?.desiredCount ?? desiredCount, scalableTarget };
  },
  summarize: (r) =>
    `desired ${r.desiredCount}${r.scalableTarget ? `, scalable target min ${r.scalableTarget.min} max ${r.scalableTarget.max}` : ''}`,
});

export const handler = lambdaHandler(applyScale);
