// The runbook's check 3: every RDS instance of the environment (its databases, and those its services
// use) is available. A status RDS leaves by itself (a backup, a modification) is a warning; one it
// does not (stopped, failed, storage full, a lost key) is a failure, as is an instance RDS does not know.

import { consoleUrl } from '../console.ts';
import { describeInstance } from '../database/describe-instance.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { HealthRequestSchema } from './input.ts';

/** Statuses RDS moves on from by itself (RDS User Guide, "Viewing Amazon RDS DB instance status"). */
const PASSING = new Set([
  'backing-up',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'creating',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'storage-config-upgrade',
  'storage-initialization',
  'storage-optimization',
  'upgrading',
]);

export const checkDatabases = defineWorker({
  name: 'check-databases',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances'],
  input: z.object({ request: HealthRequestSchema }),
  run: async ({ request }, { rds }): Promise<CheckResult> => {
    const { region } = request;
    const findings: Finding[] = [];
    for (const id of request.databases) {
      const instance = await describeInstance(rds, id);
      const status = instance?.DBInstanceStatus ?? 'unknown';
      findings.push({
        check: 'databases',
        target: id,
        expected: 'available',
        actual: instance
          ? `${shown(status)} in ${shown(instance.AvailabilityZone)}${instance.MultiAZ ? ' (Multi-AZ)' : ''}`
          : 'RDS knows no instance of this name',
        verdict: !instance ? 'fail' : status === 'available' ? 'pass' : PASSING.has(status) ? 'warn' : 'fail',
        follow: consoleUrl(region, `rds/home?region=${region}#database:id=${id}`),
      });
    }
    return checkResult('databases', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkDatabases);
