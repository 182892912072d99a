// The request the incident-response workers are given in these tests: prod's app, as the first step
// resolves it from runbook.config.json.
import { catalogueOf, loadConfig } from '../../../infra/config.ts';
import { resolveIncident } from '../../../tasks/incident-response/validate-incident-input.ts';

export const catalogue = catalogueOf(loadConfig());
export const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-incident-response:inc-1',
  name: 'inc-1',
  startTime: '2026-12-01T08:00:00.000Z',
};
export const request = resolveIncident(
  {
    environment: 'prod',
    service: 'app',
    severity: 'P1',
    action: 'diagnostics',
    incident: 'INC-2041',
    requestedBy: 'jane@company.com',
  },
  catalogue,
  execution,
);
export const now = '2026-12-01T08:00:00.000Z';
export const at = (minutesBefore: number) => new Date(Date.parse(now) - minutesBefore * 60_000);
