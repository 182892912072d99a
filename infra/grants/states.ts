// Step Functions: answering the task tokens of approval gates (SendTaskSuccess / SendTaskFailure),
// for the approval service's function only; reading a run (DescribeExecution, and for the archive its
// history and the definition it ran), on the executions of the registry's machines only; and listing
// a machine's executions (the archive's sweep), on the registry's machines only. A token of a service-integration Task
// (lambda:invoke.waitForTaskToken) belongs to no resource IAM can name: the Service Authorization
// Reference scopes these actions to activities only, so they are allowed on '*'. What the function
// may answer is bounded by the tokens it can read: those the gates wrote into the run-state table.
import { Stack } from 'aws-cdk-lib';
import { stateMachineName } from '../../statemachines/procedure.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { acknowledge, allow, arn, type Grant, unknownAction } from './grant.ts';

const TASK_RESPONSES = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure']);
const ON_EXECUTIONS = new Set([
  'states:DescribeExecution',
  'states:GetExecutionHistory',
  'states:DescribeStateMachineForExecution',
]);

export const grantStates: Grant = (fn, actions, { config }) => {
  for (const action of actions)
    if (!TASK_RESPONSES.has(action) && !ON_EXECUTIONS.has(action) && action !== 'states:ListExecutions')
      unknownAction(fn, action);
  if (actions.includes('states:ListExecutions'))
    allow(
      fn,
      ['states:ListExecutions'],
      PROCEDURES.map((p) => arn(fn, 'states', `stateMachine:${stateMachineName(p, config.stackName)}`)),
    );
  const reads = actions.filter((a) => ON_EXECUTIONS.has(a));
  if (reads.length > 0) {
    const { region, account } = Stack.of(fn);
    const executions = PROCEDURES.map((p) => `execution:${stateMachineName(p, config.stackName)}:*`);
    allow(
      fn,
      reads,
      executions.map((e) => arn(fn, 'states', e)),
    );
    for (const e of executions)
      acknowledge(
        fn,
        `IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:${e}]`,
        "Any execution of the runbook's machines, by its generated name: the reminders ask whether a request's run still waits, the archive reads a run that ended.",
      );
  }
  const responses = actions.filter((a) => TASK_RESPONSES.has(a));
  if (responses.length === 0) return;
  allow(fn, responses, ['*']);
  acknowledge(
    fn,
    'IAM5[Resource::*]',
    'SendTaskSuccess and SendTaskFailure cannot be scoped to the task tokens of a callback Task; the function only answers tokens the approval gates stored in the run-state table.',
  );
};
