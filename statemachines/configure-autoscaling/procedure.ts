// configure-autoscaling in the registry: the runbook's "Scale ECS Service > Auto Scaling Setup",
// idempotent, with a read-only drift check.
import example from '../../examples/configure-autoscaling.json' with { type: 'json' };
import { ConfigureInputSchema } from '../../tasks/configure-autoscaling/input.ts';
import { AutoScalingReportSchema } from '../../tasks/configure-autoscaling/read-autoscaling.ts';
import {
  AutoScalingNotApplied,
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RollbackFailed,
} from '../../tasks/errors.ts';
import { stepsInLineSeconds } from '../invoke-worker.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { configureAutoScalingDefinition } from './definition.ts';

export const configureAutoScaling: ProcedureSpec = {
  name: 'configure-autoscaling',
  summary:
    'Runbook "Auto Scaling Setup": a service\'s scalable target and CPU target-tracking policy made as the config says, only what differs (before -> after), read back; a check mode reports the drift and changes nothing.',
  runbookSection: 'Scaling Operations > Scale ECS Service > Auto Scaling Setup',
  input: ConfigureInputSchema,
  example,
  lock: 'service',
  definition: configureAutoScalingDefinition,
  // In line: validate, lock, read, apply, verify, put back, the notices and the release.
  budget: () => ({ runSeconds: stepsInLineSeconds(12), pollRounds: 0 }),
  errors: [InvalidInput, LockHeld, PreflightFailed, AutoScalingNotApplied, RollbackFailed],
  describeOutput: (output) => {
    const report = AutoScalingReportSchema.safeParse(output);
    return report.success ? [report.data.summary] : [];
  },
  scenarios: [
    {
      name: 'happy',
      description:
        'The app has no auto scaling yet: its scalable target (min 2, max 10) is registered and its CPU target-tracking policy (70 %) put, then read back as the config says.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'in-sync',
      description:
        'The account already holds what the config says: nothing is changed, and the notice says so.',
      faults: 'autoscaling-in-sync',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'config-changed',
      description:
        'The config changed since the last run (min 3 -> 2, CPU 60 -> 70 %): the run shows each difference before -> after and applies only those.',
      faults: 'autoscaling-drifted',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'check-drift',
      description:
        'Check mode on the same drift: the report lists each difference, and is announced; nothing is changed, no lock is taken.',
      faults: 'autoscaling-drifted',
      input: { ...example, check: true },
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'policy-refused',
      description:
        'Application Auto Scaling refuses the policy after the new scalable target was registered: the target is deregistered again, and the run fails AutoScalingNotApplied.',
      expect: { status: 'FAILED', error: AutoScalingNotApplied },
    },
    {
      name: 'put-back-fails',
      description:
        'The policy is refused, and so is deregistering the target it had registered: the on-call is paged.',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'foreign-policy',
      description:
        "A policy of the runbook's name that never scales in (set by hand): a change would replace it and could not put it back, so the run refuses before any change.",
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'lock-held',
      description: 'Another run holds the lock on the service; nothing is changed.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'invalid-input',
      description: "dev's app has no autoScaling in the config; the first step refuses it, naming the field.",
      faults: 'happy',
      input: { ...example, environment: 'dev', changeRequest: undefined },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/configure-autoscaling.md',
};
