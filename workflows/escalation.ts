/**
 * The escalation ladder as a Step Functions state machine: the one definition that CDK deploys
 * and the local engine runs. Written as a small builder so the two repeated shapes, "do a step"
 * and "wait for a decision, with reminders", are written once:
 *
 * - an action step calls the workflow-step Lambda with `{ action, state }`; transient errors are
 *   retried with backoff; anything else is recorded on the case, the administrator is asked to
 *   retry, and the case waits there visibly instead of failing.
 * - a decision step first prepares (sets the case's stage and what it waits on, computes the
 *   timeout, and decides whether the execution is old enough to continue as a new one), then
 *   waits on a task token. A timeout either sends a reminder and waits again, or, for a deadline
 *   such as the final warning's six months, moves the case on.
 *
 * Executions start at any waiting step (`resumeAt`) or at a stage (`stage`), so a case can be
 * resumed from its record in DynamoDB and can continue as a new execution before a year passes.
 */
import type { Catcher, ChoiceRule, Json, Retrier, State, StateMachineDefinition, TaskState } from './asl';

/** Placeholder substituted by CDK (DefinitionSubstitutions) and by the local runtime. */
export const WORKFLOW_STEP_FUNCTION = '${WorkflowStepFunctionArn}';
export const SUBSTITUTION_KEYS = ['WorkflowStepFunctionArn'] as const;

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Lambda service hiccups and SES throttling: worth retrying with backoff before anyone is told. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'EmailSendFailed',
  'ConcurrentUpdate',
];
const TRANSIENT_RETRY: Retrier = { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 3 };

/** Who a waiting step waits on. `inspection` is answered by rating ingestion. */
export type Assignee = 'leadOfficer' | 'board' | 'safeguarding' | 'inspection' | 'administrator';

/** When nobody answers in time: remind and wait again, or the deadline itself moves the case on. */
export type OnTimeout =
  /** `after`: the dated event the step follows; its response time counts from that event. */
  | { kind: 'remind'; every: 'response' | 'board' | 'inspection'; after?: 'qim' | 'boardMeeting' }
  | { kind: 'deadline'; deadline: 'finalWarning' | 'review'; next: string };

export interface DecisionStep {
  /** The state's name, in the policy's words. */
  name: string;
  /** The case's stage while it waits here. */
  stage: string;
  assignee: Assignee;
  /** Decision → next state. `safeguarding` is added to every step an officer answers. */
  decisions: Record<string, string>;
  onTimeout: OnTimeout;
  /** Plain words for the email and the case page: what is being asked. */
  asks: string;
}

export interface ActionStep {
  name: string;
  action: string;
  next: string;
  /** The approval this step sends letters for: if they changed since, it is asked again. */
  approval?: string;
}

export const STATE = {
  router: 'Route To Stage',
  transferToSafeguarding: 'Transfer To Safeguarding',
  continueAsNew: 'Continue As New Execution',
  continued: 'Continued In New Execution',
  closeCase: 'Close Case',
  closed: 'Case Closed',
} as const;

/** The ladder's waiting steps, in order. */
export const DECISION_STEPS: DecisionStep[] = [
  {
    name: 'Approve Letter To Host Authority',
    stage: 'hostAuthority',
    assignee: 'leadOfficer',
    asks: 'The service is out of county: approve the letter sharing the concerns with the host authority, or take the case through our own ladder instead.',
    decisions: {
      shareWithHostAuthority: 'Send Letter To Host Authority',
      informalStage: 'Await Informal Outcome: Prepare',
      formalStage: 'Approve Quality Improvement Notice: Prepare',
    },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Approve Partnership Letter',
    stage: 'partnership',
    assignee: 'leadOfficer',
    asks: 'The council holds no contract with this provider: approve the letter inviting it to agree an improvement plan with us.',
    decisions: { approve: 'Send Partnership Letter' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Review Partnership Plan',
    stage: 'partnership',
    assignee: 'leadOfficer',
    asks: 'Review the improvement plan agreed with the provider: close the case when the concerns are met, or pass it to safeguarding if there is a safeguarding risk.',
    decisions: { resolved: STATE.closeCase },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Await Informal Outcome',
    stage: 'informal',
    assignee: 'leadOfficer',
    asks: 'Record the outcome of the informal contact with the provider.',
    decisions: { noFurtherAction: 'Confirm Informal Outcome', formalStage: 'Confirm Informal Outcome' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Approve Quality Improvement Notice',
    stage: 'formal',
    assignee: 'leadOfficer',
    asks: 'Approve the Formal Quality Improvement Notice before it is sent.',
    decisions: { approve: 'Send Quality Improvement Notice' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Arrange Quality Improvement Meeting',
    stage: 'qim',
    assignee: 'leadOfficer',
    asks: 'Arrange the Quality Improvement Meeting: date, time, venue and who is expected.',
    decisions: { arranged: 'Send QIM Invitation' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Record QIM Outcome',
    stage: 'qim',
    assignee: 'leadOfficer',
    asks: 'Record the outcome of the Quality Improvement Meeting.',
    decisions: { resolved: 'Apply QIM Outcome', followUp: 'Apply QIM Outcome', referToBoard: 'Apply QIM Outcome' },
    onTimeout: { kind: 'remind', every: 'response', after: 'qim' },
  },
  {
    name: 'Await Board Decision',
    stage: 'board',
    assignee: 'board',
    asks: 'Decide on the referred provider: rectification notice, final warning, back to the quality process, or close.',
    decisions: {
      rectificationNotice: 'Send Rectification Notice',
      finalWarning: 'Send Final Warning Notice',
      backToQualityProcess: 'Arrange Quality Improvement Meeting: Prepare',
      close: STATE.closeCase,
    },
    onTimeout: { kind: 'remind', every: 'board', after: 'boardMeeting' },
  },
  {
    name: 'Await Next Inspection',
    stage: 'rectification',
    assignee: 'inspection',
    asks: 'Wait for the next CQC inspection of the location (or a Board decision).',
    decisions: {
      ratedGood: 'Report Inspection To Board',
      ratedBelowGood: 'Report Inspection To Board',
      finalWarning: 'Send Final Warning Notice',
      close: STATE.closeCase,
    },
    onTimeout: { kind: 'remind', every: 'inspection' },
  },
  {
    name: 'Await Final Warning Outcome',
    stage: 'finalWarning',
    assignee: 'board',
    asks: 'The provider has until the deadline to evidence sustained improvement; the Board may accept it earlier.',
    decisions: { improvementAccepted: 'Start Sustainability Review' },
    onTimeout: { kind: 'deadline', deadline: 'finalWarning', next: 'Refer Final Warning Deadline To Board' },
  },
  {
    name: 'Await Final Decision',
    stage: 'finalDecision',
    assignee: 'board',
    asks: 'The final warning has run its course: terminate the contract, or accept the improvement.',
    decisions: { terminate: 'Send Letter Of Termination', improvementAccepted: 'Start Sustainability Review' },
    onTimeout: { kind: 'remind', every: 'board', after: 'boardMeeting' },
  },
  {
    name: 'Await Sustainability Review',
    stage: 'review',
    assignee: 'leadOfficer',
    asks: 'Six months after the Board accepted the improvement, review whether it has lasted (you may escalate earlier).',
    decisions: { notSustained: 'Refer To Board' },
    onTimeout: { kind: 'deadline', deadline: 'review', next: 'Record Review Outcome: Prepare' },
  },
  {
    name: 'Record Review Outcome',
    stage: 'review',
    assignee: 'leadOfficer',
    asks: 'Record whether the improvement has been sustained.',
    decisions: { sustained: STATE.closeCase, notSustained: 'Refer To Board' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
  {
    name: 'Await Safeguarding Outcome',
    stage: 'safeguarding',
    assignee: 'safeguarding',
    asks: 'The case is with safeguarding as a whole-service concern; return it to the quality process when safeguarding is done.',
    decisions: { returnToQualityProcess: 'Return From Safeguarding' },
    onTimeout: { kind: 'remind', every: 'response' },
  },
];

/** The ladder's action steps (a Lambda call each), in order. */
export const ACTION_STEPS: ActionStep[] = [
  { name: 'Send Letter To Host Authority', action: 'sendLetterToHostAuthority', next: STATE.closeCase, approval: 'Approve Letter To Host Authority' },
  { name: 'Send Partnership Letter', action: 'sendPartnershipLetter', next: 'Review Partnership Plan: Prepare', approval: 'Approve Partnership Letter' },
  { name: 'Confirm Informal Outcome', action: 'confirmInformalOutcome', next: 'After Informal Outcome' },
  { name: 'Send Quality Improvement Notice', action: 'sendQualityImprovementNotice', next: 'Arrange Quality Improvement Meeting: Prepare', approval: 'Approve Quality Improvement Notice' },
  { name: 'Send QIM Invitation', action: 'sendQimInvitation', next: 'Record QIM Outcome: Prepare' },
  { name: 'Apply QIM Outcome', action: 'applyQimOutcome', next: 'After QIM Outcome' },
  { name: 'Reinstate Contract Visits', action: 'reinstateContractVisits', next: STATE.closeCase },
  { name: 'Refer To Board', action: 'referToBoard', next: 'Await Board Decision: Prepare' },
  { name: 'Send Rectification Notice', action: 'sendRectificationNotice', next: 'Await Next Inspection: Prepare' },
  { name: 'Report Inspection To Board', action: 'reportInspectionToBoard', next: 'Await Board Decision: Prepare' },
  { name: 'Send Final Warning Notice', action: 'sendFinalWarningNotice', next: 'Await Final Warning Outcome: Prepare' },
  { name: 'Refer Final Warning Deadline To Board', action: 'referFinalWarningDeadline', next: 'Await Final Decision: Prepare' },
  { name: 'Start Sustainability Review', action: 'startSustainabilityReview', next: 'Await Sustainability Review: Prepare' },
  { name: 'Send Letter Of Termination', action: 'sendLetterOfTermination', next: STATE.closeCase },
  { name: STATE.transferToSafeguarding, action: 'transferToSafeguarding', next: 'Await Safeguarding Outcome: Prepare' },
  { name: 'Return From Safeguarding', action: 'returnFromSafeguarding', next: STATE.router },
  { name: STATE.closeCase, action: 'closeCase', next: STATE.closed },
];

/** Stages a new execution may start at (the rest are resumed at a waiting step). */
const STAGE_ENTRIES: Record<string, string> = {
  hostAuthority: 'Approve Letter To Host Authority: Prepare',
  partnership: 'Approve Partnership Letter: Prepare',
  informal: 'Await Informal Outcome: Prepare',
  formal: 'Approve Quality Improvement Notice: Prepare',
  qim: 'Arrange Quality Improvement Meeting: Prepare',
  board: 'Await Board Decision: Prepare',
  rectification: 'Await Next Inspection: Prepare',
  finalWarning: 'Await Final Warning Outcome: Prepare',
  finalDecision: 'Await Final Decision: Prepare',
  review: 'Await Sustainability Review: Prepare',
  safeguarding: 'Await Safeguarding Outcome: Prepare',
  termination: 'Send Letter Of Termination',
};

const prepare = (step: string) => `${step}: Prepare`;

function executionContext(): { [key: string]: Json } {
  return {
    'id.$': '$$.Execution.Id',
    'startTime.$': '$$.Execution.StartTime',
    'stateMachineId.$': '$$.StateMachine.Id',
    // Unchanged across a state's retries: lets a retried step skip the emails it already sent.
    'stateEnteredTime.$': '$$.State.EnteredTime',
  };
}

function lambdaTask(name: string, payload: { [key: string]: Json }, extra: Partial<TaskState>): TaskState {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: WORKFLOW_STEP_FUNCTION, Payload: payload },
    Comment: name,
    ...extra,
  };
}

/** How long a case whose administrator's request could not be made waits before asking again. */
export const ASK_AGAIN_AFTER_SECONDS = 86_400;

/**
 * A failed step is recorded and waits for the administrator to retry it: nothing is dropped, and
 * nothing here ends the execution. If even the record or the administrator's request fails (SES
 * refusing the alert is handled inside the step: the case waits with the reason on its page), the
 * case pauses a day and asks again — an execution of a case never ends in FAILED.
 */
function failureHandling(states: Record<string, State>, name: string, retryTarget: string): Catcher {
  const record = `${name}: Record Failure`;
  const awaitRetry = `${name}: Await Retry`;
  const askAgain = `${name}: Wait To Ask Again`;
  states[record] = lambdaTask(
    record,
    { action: 'recordFailure', step: name, 'state.$': '$', execution: executionContext() },
    {
      ResultPath: null,
      Retry: [{ ...TRANSIENT_RETRY, MaxAttempts: 6 }],
      // Not recorded (the table itself failing, say): the administrator is still asked.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailureError', Next: awaitRetry }],
      Next: awaitRetry,
    },
  );
  states[awaitRetry] = {
    Type: 'Task',
    Resource: LAMBDA_INVOKE_WAIT,
    Comment: `The administrator retries "${name}" once the fault is fixed.`,
    Parameters: {
      FunctionName: WORKFLOW_STEP_FUNCTION,
      Payload: {
        action: 'requestDecision',
        step: awaitRetry,
        stage: 'failure',
        assignee: 'administrator',
        asks: `"${name}" failed. Retry it once the cause is fixed.`,
        allowedDecisions: ['retry'],
        'taskToken.$': '$$.Task.Token',
        'state.$': '$',
        execution: executionContext(),
      },
    },
    // Not $.decision: the step being retried still needs the decision that led to it.
    ResultPath: '$.retry',
    Retry: [{ ...TRANSIENT_RETRY, MaxAttempts: 8, MaxDelaySeconds: 3600 }],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.retryRequestError', Next: askAgain }],
    Next: retryTarget,
  };
  states[askAgain] = {
    Type: 'Wait',
    Comment: `The administrator could not be asked to retry "${name}" (the fault outlasted every retry): ask again a day later.`,
    Seconds: ASK_AGAIN_AFTER_SECONDS,
    Next: awaitRetry,
  };
  return { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: record };
}

function addAction(states: Record<string, State>, step: ActionStep, extra: { [key: string]: Json } = {}): void {
  const catcher = failureHandling(states, step.name, step.name);
  states[step.name] = lambdaTask(
    step.name,
    { action: step.action, ...extra, 'state.$': '$', execution: executionContext() },
    {
      OutputPath: '$.Payload',
      Retry: [TRANSIENT_RETRY],
      // Letters changed since their approval: back to the approval, which asks again.
      Catch: [...(step.approval ? [{ ErrorEquals: ['LetterChanged'], ResultPath: '$.letterChanged', Next: prepare(step.approval) }] : []), catcher],
      Next: step.next,
    },
  );
}

function addDecision(states: Record<string, State>, step: DecisionStep): void {
  const prepareName = prepare(step.name);
  const continueChoice = `${step.name}: Continue As New?`;
  const decisionChoice = `${step.name}: Decision`;
  const reminder = `${step.name}: Reminder Due`;
  const decisions = { ...step.decisions };
  if (step.assignee !== 'safeguarding' && step.assignee !== 'administrator') {
    decisions.safeguarding = STATE.transferToSafeguarding;
  }
  const stepPayload: { [key: string]: Json } = {
    step: step.name,
    stage: step.stage,
    assignee: step.assignee,
    asks: step.asks,
    allowedDecisions: Object.keys(decisions),
    onTimeout: step.onTimeout as unknown as Json,
  };

  states[prepareName] = lambdaTask(
    prepareName,
    { action: 'prepareWait', ...stepPayload, 'state.$': '$', execution: executionContext() },
    {
      ResultSelector: { 'timeoutSeconds.$': '$.Payload.timeoutSeconds', 'continueAsNew.$': '$.Payload.continueAsNew' },
      ResultPath: '$.wait',
      Retry: [TRANSIENT_RETRY],
      Catch: [failureHandling(states, prepareName, prepareName)],
      Next: continueChoice,
    },
  );
  states[continueChoice] = {
    Type: 'Choice',
    Choices: [{ Variable: '$.wait.continueAsNew', BooleanEquals: true, Next: STATE.continueAsNew }],
    Default: step.name,
  };
  const timeoutNext = step.onTimeout.kind === 'remind' ? reminder : step.onTimeout.next;
  states[step.name] = {
    Type: 'Task',
    Resource: LAMBDA_INVOKE_WAIT,
    Comment: step.asks,
    Parameters: {
      FunctionName: WORKFLOW_STEP_FUNCTION,
      Payload: {
        action: 'requestDecision',
        ...stepPayload,
        'taskToken.$': '$$.Task.Token',
        'state.$': '$',
        execution: executionContext(),
      },
    },
    TimeoutSecondsPath: '$.wait.timeoutSeconds',
    ResultPath: '$.decision',
    Retry: [TRANSIENT_RETRY],
    Catch: [
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: timeoutNext },
      failureHandling(states, step.name, prepareName),
    ],
    Next: decisionChoice,
  };
  if (step.onTimeout.kind === 'remind') {
    addAction(states, { name: reminder, action: 'noteReminderDue', next: prepareName }, { step: step.name });
  }
  states[decisionChoice] = {
    Type: 'Choice',
    Choices: Object.entries(decisions).map(([decision, next]): ChoiceRule => ({
      Variable: '$.decision.decision',
      StringEquals: decision,
      Next: next,
    })),
    Default: prepareName,
  };
}

function router(): State {
  const resumeRules: ChoiceRule[] = DECISION_STEPS.map((step) => ({
    And: [
      { Variable: '$.resumeAt', IsPresent: true },
      { Variable: '$.resumeAt', StringEquals: step.name },
    ],
    Next: prepare(step.name),
  }));
  const stageRules: ChoiceRule[] = Object.entries(STAGE_ENTRIES).map(([stage, next]) => ({
    Variable: '$.stage',
    StringEquals: stage,
    Next: next,
  }));
  return {
    Type: 'Choice',
    Comment: 'Start where the case is: at a waiting step (resumeAt) or at the start of a stage.',
    Choices: [...resumeRules, ...stageRules],
    Default: 'Unknown Stage',
  };
}

export function buildEscalationDefinition(): StateMachineDefinition {
  const states: Record<string, State> = {};
  states[STATE.router] = router();
  states['Unknown Stage'] = {
    Type: 'Fail',
    Error: 'UnknownStage',
    Cause: 'The execution input names neither a known stage nor a known waiting step.',
  };
  for (const step of DECISION_STEPS) addDecision(states, step);
  for (const step of ACTION_STEPS) addAction(states, step);
  states['After Informal Outcome'] = {
    Type: 'Choice',
    Choices: [{ Variable: '$.decision.decision', StringEquals: 'formalStage', Next: prepare('Approve Quality Improvement Notice') }],
    Default: STATE.closeCase,
  };
  states['After QIM Outcome'] = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.decision.decision', StringEquals: 'resolved', Next: 'Reinstate Contract Visits' },
      { Variable: '$.decision.decision', StringEquals: 'followUp', Next: prepare('Arrange Quality Improvement Meeting') },
    ],
    Default: 'Refer To Board',
  };
  addAction(states, { name: STATE.continueAsNew, action: 'continueAsNew', next: STATE.continued });
  states[STATE.continued] = { Type: 'Succeed', Comment: 'The case goes on in a new execution, started from its record.' };
  states[STATE.closed] = { Type: 'Succeed' };
  return {
    Comment: 'Care provider quality escalation: informal stage to termination (Contract, Quality & Risk Management Policy).',
    StartAt: STATE.router,
    States: states,
  };
}

/** The definition as deployed: JSON with `${...}` placeholders, byte for byte what CDK puts in the template. */
export function escalationDefinitionString(): string {
  return JSON.stringify(buildEscalationDefinition(), null, 2);
}

/** Replaces the placeholders the way CloudFormation's DefinitionSubstitutions does. */
export function substitute(definition: string, values: Record<(typeof SUBSTITUTION_KEYS)[number], string>): string {
  return definition.replace(/\$\{(\w+)\}/g, (match, key: string) => {
    const value = (values as Record<string, string>)[key];
    if (value === undefined) throw new Error(`No value for definition placeholder ${match}`);
    return value;
  });
}
