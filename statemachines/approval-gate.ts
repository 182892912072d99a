// The approval gate every procedure that asks a person uses: the request (recorded by the approval
// service under an opaque id, announced, waited for with the task token), then the checks that only
// a real approval passes: the decision is complete, says approved and names a one-word approver,
// and is the one the approval service recorded for this gate (a forged SendTaskSuccess is not).
// Expired and rejected decisions, and anything else sent, end the run through `onFailure` with
// ApprovalExpired or ApprovalRejected; nothing is changed before the gate.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { requestApproval } from '../tasks/approvals/request-approval.ts';
import { verifyApproval } from '../tasks/approvals/verify-approval.ts';
import { ApprovalExpired, ApprovalRejected, errorName } from '../tasks/errors.ts';
import { addRetries, invokeWorker } from './invoke-worker.ts';
import type { Deps } from './procedure.ts';

/** The approval gate's state name: its request's id derives from it. */
export const GATE = 'Wait For Approval';

export interface ApprovalGateProps {
  /** The approval summary's fields (ApprovalSummarySchema), as payload paths: what the approver is shown. */
  readonly summary: Record<string, unknown>;
  /** Where an expired, rejected or forged decision goes, with the error in $.failure (release and fail). */
  readonly onFailure: sfn.IChainable;
  /** Where a verified approval goes. */
  readonly approved: sfn.IChainable;
  /** Where a run goes whose request needs no approval ($.request.approvalRequired false). */
  readonly notRequired: sfn.IChainable;
}

/**
 * The gate, reading $.request.approvalRequired, approvalTimeoutSeconds, approvalRule and
 * approvalReminders. Returns the first state (`Approval Required?`) to chain into.
 */
export function approvalGate(scope: Construct, deps: Deps, props: ApprovalGateProps): sfn.Choice {
  const { onFailure } = props;
  const approvalExpired = new sfn.Pass(scope, 'Approval Expired', {
    stateName: 'Approval Expired',
    comment: 'Nobody decided in time: the explicit outcome of an expired approval.',
    parameters: {
      Error: errorName(ApprovalExpired),
      'Cause.$':
        "States.Format('Nobody approved or rejected within {} seconds; nothing was changed.', $.request.approvalTimeoutSeconds)",
    },
    resultPath: '$.failure',
  });
  approvalExpired.next(onFailure);
  const approval = new tasks.LambdaInvoke(scope, GATE, {
    stateName: GATE,
    comment:
      'Records the request under an opaque id (the task token stays server-side), announces it, and waits for a decision.',
    lambdaFunction: deps.worker(requestApproval),
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    retryOnServiceExceptions: false,
    payload: sfn.TaskInput.fromObject({
      table: deps.table,
      topicArn: deps.topicArn,
      token: sfn.JsonPath.taskToken,
      'executionId.$': '$$.Execution.Id',
      'gate.$': '$$.State.Name',
      'runStartedAt.$': '$$.Execution.StartTime',
      'now.$': '$$.State.EnteredTime',
      'timeoutSeconds.$': '$.request.approvalTimeoutSeconds',
      'rule.$': '$.request.approvalRule',
      'reminders.$': '$.request.approvalReminders',
      summary: props.summary,
    }),
    resultPath: '$.approval',
    taskTimeout: sfn.Timeout.at('$.request.approvalTimeoutSeconds'),
  });
  addRetries(approval, 'change');
  approval.addCatch(approvalExpired, { errors: ['States.Timeout'], resultPath: '$.approvalTimeout' });
  approval.addCatch(onFailure, { errors: [errorName(ApprovalRejected)], resultPath: '$.failure' });
  approval.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
  const noApproval = new sfn.Pass(scope, 'Approval Not Required', {
    stateName: 'Approval Not Required',
    result: sfn.Result.fromObject({ decision: 'not-required' }),
    resultPath: '$.approval',
  });
  noApproval.next(props.notRequired);

  // A decision is an approval only if it says so and names who approved: anything else sent with
  // SendTaskSuccess ends the run as rejected, and the decision lands in the history either way.
  const notApproved = new sfn.Pass(scope, 'Not Approved', {
    stateName: 'Not Approved',
    comment: 'The decision was not an approval with an approver.',
    parameters: {
      Error: errorName(ApprovalRejected),
      'Cause.$':
        "States.Format('The decision was not an approval with an approver: {}; nothing was changed.', States.JsonToString($.approval))",
    },
    resultPath: '$.failure',
  });
  notApproved.next(onFailure);
  // Only what the approval service's rules decided counts: a forged SendTaskSuccess does not.
  const verify = invokeWorker(scope, 'Verify Approval', deps, verifyApproval, {
    comment: 'The approval the run resumed with is the one the approval service recorded for this gate.',
    payload: {
      table: deps.table,
      'executionId.$': '$$.Execution.Id',
      gate: GATE,
      'approval.$': '$.approval',
    },
    resultPath: '$.approvalVerified',
    retry: 'read',
  });
  verify.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
  verify.next(props.approved);
  const approved = new sfn.Choice(scope, 'Approved?', { stateName: 'Approved?' })
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.approval.decision', 'approved'),
        sfn.Condition.isString('$.approval.approver'),
        // A verified identity (an IAM ARN, an email) is one word: blank or spaced is not a name.
        sfn.Condition.not(sfn.Condition.stringEquals('$.approval.approver', '')),
        sfn.Condition.not(sfn.Condition.stringMatches('$.approval.approver', '* *')),
        sfn.Condition.not(sfn.Condition.stringMatches('$.approval.approver', '*\t*')),
        sfn.Condition.not(sfn.Condition.stringMatches('$.approval.approver', '*\n*')),
      ),
      verify,
    )
    .otherwise(notApproved);
  const decided = new sfn.Choice(scope, 'Decision Complete?', { stateName: 'Decision Complete?' })
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.approval.decision'),
        sfn.Condition.isPresent('$.approval.approver'),
      ),
      approved,
    )
    .otherwise(notApproved);
  approval.next(decided);
  return new sfn.Choice(scope, 'Approval Required?', { stateName: 'Approval Required?' })
    .when(sfn.Condition.booleanEquals('$.request.approvalRequired', true), approval)
    .otherwise(noApproval);
}
