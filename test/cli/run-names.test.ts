// The names the run commands give a request, and which CI run it belongs to.
import { describe, expect, it } from 'vitest';
import { jsonLine } from '../../scripts/follow.ts';
import { ciRunId, executionNameOf } from '../../scripts/runs.ts';

const IMAGE = 'repo/app@sha256:4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a';
const request = { environment: 'prod', service: 'app', image: IMAGE, changeRequest: 'CHG-1' };

describe('execution names of requests', () => {
  it('name the procedure, the target, the digest, a hash of the input and the CI run', () => {
    expect(executionNameOf('production-deployment', request, '42')).toMatch(
      /^production-deployment-prod-app-4f1c2a9e8d7b-[0-9a-f]{8}-ci42$/,
    );
    expect(executionNameOf('rollback', { environment: 'prod', service: 'app' }, null)).toMatch(
      /^rollback-prod-app-[0-9a-f]{12}$/,
    );
  });

  it('are the same for the same request however its JSON is written, and differ for another change request', () => {
    const reordered = { changeRequest: 'CHG-1', image: IMAGE, service: 'app', environment: 'prod' };
    expect(executionNameOf('production-deployment', reordered, null)).toBe(
      executionNameOf('production-deployment', request, null),
    );
    expect(executionNameOf('production-deployment', { ...request, changeRequest: 'CHG-2' }, null)).not.toBe(
      executionNameOf('production-deployment', request, null),
    );
  });

  it('keep to the characters and the 80 characters Step Functions allows, whatever the input says', () => {
    const name = executionNameOf(
      'production-deployment',
      { environment: 'Prod Env/1', service: 'x'.repeat(90) },
      'run 7:1',
    );
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('the CI run a start belongs to', () => {
  it('is RUNBOOK_RUN_ID first, then the run id of the CI system, else none', () => {
    expect(ciRunId({ RUNBOOK_RUN_ID: 'r', GITHUB_RUN_ID: 'g' })).toBe('r');
    expect(ciRunId({ GITHUB_RUN_ID: 'g', GITHUB_RUN_ATTEMPT: '2' })).toBe('g');
    expect(ciRunId({ CI_PIPELINE_ID: 'gl' })).toBe('gl');
    expect(ciRunId({ BUILDKITE_BUILD_ID: 'bk' })).toBe('bk');
    expect(ciRunId({ CIRCLE_WORKFLOW_ID: 'c' })).toBe('c');
    expect(ciRunId({ CODEBUILD_BUILD_NUMBER: '9' })).toBe('9');
    expect(ciRunId({ CI: 'true' })).toBeNull();
  });
});

describe('JSON lines', () => {
  it('escape what JSON leaves as it is and a terminal would act on: DEL, C1 controls, bidi overrides', () => {
    const line = jsonLine({ text: 'a\u009b31mb\u202ec\u007f' });
    expect(line).toBe('{"text":"a\\u009b31mb\\u202ec\\u007f"}');
    expect(JSON.parse(line)).toEqual({ text: 'a\u009b31mb\u202ec\u007f' });
  });
});
