// incident-response in the registry: the runbook's "P0 Incident Response" (its Investigation and
// Resolution Actions), diagnostics first, announced where the severity goes.
import example from '../../examples/incident-response.json' with { type: 'json' };
import {
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RecoveryFailed,
  RollbackFailed,
  ScalingFailed,
} from '../../tasks/errors.ts';
import { IncidentInputSchema } from '../../tasks/incident-response/input.ts';
import { DiagnosticsSchema, diagnosticsLines } from '../../tasks/incident-response/report-diagnostics.ts';
import { stepsInLineSeconds } from '../invoke-worker.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { scaleService } from '../scale-service/procedure.ts';
import { pollSeconds } from '../timing.ts';
import { incidentResponseDefinition } from './definition.ts';

const force = { ...example, severity: 'P0', action: 'force-new-deployment', reason: 'tasks keep exiting' };
const scaleUp = { ...example, action: 'scale-up', desiredCount: 6, reason: 'CPU above 90 % for 20 minutes' };

export const incidentResponse: ProcedureSpec = {
  name: 'incident-response',
  summary:
    'Runbook "P0 Incident Response": diagnostics first (recent changes, the service, targets, traffic, errors, the database) announced where the severity goes, then a forced new deployment or a scale-up, waited for until healthy.',
  runbookSection: 'Incident Response > P0 Incident Response > Investigation and Resolution Actions',
  input: IncidentInputSchema,
  example,
  lock: 'service',
  runs: [scaleService],
  definition: incidentResponseDefinition,
  // The readers, the bundle and the notices in line; then the longer of the forced deployment's wait
  // and the nested scale-service run; and the steps after it.
  budget: (context) => ({
    runSeconds:
      stepsInLineSeconds(10) +
      Math.max(
        pollSeconds(context.timing.deploymentMaxPolls, context.timing.deploymentIntervalSeconds),
        scaleService.budget(context).runSeconds + 300,
      ) +
      1800,
    pollRounds: context.timing.deploymentMaxPolls,
  }),
  errors: [InvalidInput, LockHeld, PreflightFailed, ScalingFailed, RollbackFailed, RecoveryFailed],
  describeOutput: (output) => {
    const report = DiagnosticsSchema.safeParse(output);
    return report.success ? diagnosticsLines(report.data) : [];
  },
  scenarios: [
    {
      name: 'happy',
      description:
        'Diagnostics of the app in prod, and nothing stands out: the bundle is announced where a P1 goes (on-call) and is the output.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'bad-change',
      description:
        'Someone scaled the app down by hand 50 minutes ago; since then 6 % of requests fail with a 5xx, responses take 2.5 s, and the application logs errors: the bundle names each, the change first.',
      faults: 'incident-after-change',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'reader-refused',
      description:
        'CloudTrail refuses the lookup (no permission in this account): the bundle says the changes could not be read, and has every other section.',
      faults: 'cloudtrail-refused',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'crash-loop',
      description:
        "The app's tasks keep exiting (a bad connection pool state): a P0, fixed by a forced new deployment whose new tasks run and pass their health checks.",
      faults: 'incident-crash-loop',
      input: force,
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'crash-loop-persists',
      description:
        "The forced deployment's tasks exit too: the circuit breaker fails it. It runs the same task definition as before, so there is nothing to put back: on-call is paged.",
      faults: 'incident-crash-loop-persists',
      input: force,
      expect: { status: 'FAILED', error: RecoveryFailed },
    },
    {
      name: 'deployment-under-way',
      description:
        'Someone else started a deployment of the app a moment ago: a forced deployment over it is refused; nothing is changed.',
      faults: 'deployment-starts',
      input: force,
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'lock-held',
      description: 'Another run holds the lock on the app: the forced deployment changes nothing.',
      input: force,
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'scale-up',
      description:
        'CPU has been above 90 % for 20 minutes: the app is scaled from 3 to 6 tasks by scale-service, nested, and they all pass their health checks.',
      faults: 'cpu-breach',
      input: scaleUp,
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'scale-up-no-room',
      description:
        'The cluster has no room for the new tasks: the scale does not settle, and scale-service puts the app back at 3 tasks.',
      faults: 'scale-no-capacity',
      input: scaleUp,
      expect: { status: 'FAILED', error: ScalingFailed },
    },
    {
      name: 'scale-up-restore-fails',
      description:
        'No room for the new tasks, and ECS refuses to take the count back: scale-service pages, and so does the incident.',
      faults: 'scale-restore-fails',
      input: scaleUp,
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'not-a-scale-up',
      description:
        'A scale-up to 3 tasks of an app that already runs 3: scale-service refuses it against the count it reads; nothing is changed.',
      faults: 'happy',
      input: { ...scaleUp, desiredCount: 3 },
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'out-of-bounds',
      description: "A scale-up to 12 tasks, above the app's configured maximum of 10: refused at once.",
      faults: 'happy',
      input: { ...scaleUp, desiredCount: 12 },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/incident-response.md',
};
