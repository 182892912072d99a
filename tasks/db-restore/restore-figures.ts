// The figures a post-mortem needs from a restore, from the moments the run noted: how long until
// the restored instance was verified, how long the approval waited, how long the cut-over (the two
// renames) took, how long the services took to be healthy again, and the data-loss window (the
// writes after the restore point that the restored instance does not hold). Reads nothing else.
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

const at = z.iso.datetime({ offset: true });

const seconds = (from: string, to: string) =>
  Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

/** 5400 -> "1 h 30 min", 75 -> "1 min 15 s". */
export function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h${m > 0 ? ` ${m} min` : ''}`;
  if (m > 0) return `${m} min${rest > 0 ? ` ${rest} s` : ''}`;
  return `${rest} s`;
}

export const restoreFigures = defineWorker({
  name: 'restore-figures',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    dbInstance: z.string().min(1),
    restoredId: z.string().min(1),
    /** What the restored data is as of. */
    restorePoint: at,
    restoreStartedAt: at,
    verifiedAt: at,
    /** With a swap: when it was approved and the first rename started, and when the second one ended. */
    swap: z
      .object({
        asideId: z.string().min(1),
        startedAt: at,
        renamedAt: at,
        /** The services redeployed on it, as their last check saw them. */
        services: z.array(z.object({ name: z.string() })),
      })
      .nullable()
      // CDK drops a Task parameter that is null: absent is no swap.
      .default(null),
    now: at,
  }),
  run: async ({ dbInstance, restoredId, restorePoint, restoreStartedAt, verifiedAt, swap, now }) => {
    const figures = {
      restoreSeconds: seconds(restoreStartedAt, verifiedAt),
      approvalWaitSeconds: swap ? seconds(verifiedAt, swap.startedAt) : null,
      cutoverSeconds: swap ? seconds(swap.startedAt, swap.renamedAt) : null,
      servicesHealthySeconds: swap ? seconds(swap.renamedAt, now) : null,
      // The writes the restored data lacks: from its restore point to the moment the source was put
      // aside (a swap), or to now, while the source still takes writes (no swap).
      dataLossWindowSeconds: seconds(restorePoint, swap ? swap.startedAt : now),
    };
    const lines = [
      `${restoredId} holds the data of ${dbInstance} as of ${restorePoint}; restored and verified in ${duration(figures.restoreSeconds)}.`,
      swap
        ? `Approval waited ${duration(figures.approvalWaitSeconds ?? 0)}. Cut-over (two renames): ${duration(figures.cutoverSeconds ?? 0)}; ${dbInstance} is now the restored instance, the one it replaced is kept as ${swap.asideId}. ${swap.services.length > 0 ? `${swap.services.map((s) => s.name).join(', ')} healthy again ${duration(figures.servicesHealthySeconds ?? 0)} later.` : 'No service uses it.'}`
        : `Nothing was switched: ${dbInstance} is unchanged and still takes writes.`,
      `Data-loss window: ${duration(figures.dataLossWindowSeconds)} of writes (after ${restorePoint}) are not in the restored data${swap ? `; they are still in ${swap.asideId}` : ''}.`,
    ];
    return { figures, detail: lines.join(' ') };
  },
  summarize: (r) => r.detail,
});

export const handler = lambdaHandler(restoreFigures);
