// Every procedure the runbook automates. The stack builds a state machine of each, the CLI lists and
// rehearses them, the tests check each against its contract: adding a procedure is one line here.
import { configureAutoScaling } from './configure-autoscaling/procedure.ts';
import { dbBackup } from './db-backup/procedure.ts';
import { dbRestore } from './db-restore/procedure.ts';
import { healthCheck } from './health-check/procedure.ts';
import { incidentResponse } from './incident-response/procedure.ts';
import type { ProcedureSpec } from './procedure.ts';
import { productionDeployment } from './production-deployment/procedure.ts';
import { rdsMaintenance } from './rds-maintenance/procedure.ts';
import { resourceUsage } from './resource-usage/procedure.ts';
import { rollback } from './rollback/procedure.ts';
import { scaleService } from './scale-service/procedure.ts';

export const PROCEDURES: readonly ProcedureSpec[] = [
  productionDeployment,
  rollback,
  dbBackup,
  dbRestore,
  rdsMaintenance,
  healthCheck,
  resourceUsage,
  scaleService,
  configureAutoScaling,
  incidentResponse,
];

export const procedureNamed = (name: string): ProcedureSpec | undefined =>
  PROCEDURES.find((p) => p.name === name);
