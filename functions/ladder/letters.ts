/**
 * Every letter and email the product sends, written in our own words. Pure functions of the facts
 * (provider, location, dates, deadlines, what is required, who to contact), each returning the
 * subject, a plain-text body and an HTML body built from the same paragraphs, with every fact
 * escaped in the HTML. Every letter states the case's grounds (`grounds.ts`) and claims no others.
 */
import type { ImprovementAction, Qim } from '../lib/model';
import { clockTimeWords, longDate } from '../lib/dates';
import { chairSignature, compose, dear, groundsForFamilies, groundsParagraphs, headFields, jointly, letterHead, onBehalfOf, signature, whereAndWhat, type CaseFacts, type Contact, type Letter, type PersonRole } from './letter-parts';

export type { CaseFacts, Contact, Letter } from './letter-parts';

/** One action of an improvement plan, as the letters list it. */
function actionLine(action: ImprovementAction): string {
  return `${action.action} — ${action.owner}, by ${longDate(action.due)}${action.success ? `; success shown by: ${action.success}` : ''}`;
}

// ---- to the provider ----------------------------------------------------------------------

/** The Board's letters go to the owner (or chief officer), else the Nominated Individual. */
const BOARD_ADDRESSEES = ['owner', 'nominatedIndividual'] as const satisfies readonly PersonRole[];

export function informalOutcomeConfirmation(facts: CaseFacts, outcome: 'noFurtherAction' | 'formalStage', note: string): Letter {
  const next =
    outcome === 'noFurtherAction'
      ? 'We are satisfied with what you told us and are taking no further action. Your usual contract monitoring carries on as before.'
      : 'We agreed that the concerns need the formal stage of our quality process. You will shortly receive a Formal Quality Improvement Notice, and we will arrange a Quality Improvement Meeting with you.';
  return compose(
    `Outcome of our informal discussion: ${facts.locationName}`,
    dear(facts, ['registeredManager']),
    [
      letterHead(facts, ['registeredManager']),
      ...jointly(facts),
      `Thank you for talking with us about ${whereAndWhat(facts)}. This email confirms in writing what we concluded.`,
      ...groundsParagraphs(facts.grounds, 'We contacted you because of'),
      ...(note ? [`What we discussed: ${note}`] : []),
      next,
      `If anything here does not match your understanding, please tell ${facts.officer.name} within five working days.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

export function qualityImprovementNotice(facts: CaseFacts): Letter {
  return compose(
    `Formal Quality Improvement Notice: ${facts.locationName}`,
    dear(facts, ['nominatedIndividual', 'registeredManager']),
    [
      letterHead(facts, ['nominatedIndividual', 'registeredManager']),
      ...jointly(facts),
      `${facts.authorityName} is placing ${whereAndWhat(facts)} under the formal stage of its Contract, Quality and Risk Management Policy, with effect from ${facts.today}.`,
      ...groundsParagraphs(facts.grounds, 'Why: the grounds are'),
      { heading: 'What happens now' },
      {
        list: [
          'Routine contract visits are suspended while the formal stage lasts; they resume when it ends.',
          'We will invite you to a Quality Improvement Meeting, held at the service where possible. We expect the owner or a senior manager to attend with the Registered Manager.',
          'Please bring, or be ready to agree, an improvement plan: each action with the person responsible and a date for completion.',
          'After the meeting we will confirm our commissioning position: whether we suspend new placements, place with restrictions, or take no further action.',
        ],
      },
      `If improvement is not made or not sustained, the service will be referred to the Commissioning & Quality Board, which can issue a rectification notice or a final warning.`,
      `Your contact for this is ${facts.officer.name}.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

export function contractPerformanceNotice(facts: CaseFacts): Letter {
  return compose(
    `Contract Performance Notice (NHS-funded nursing care): ${facts.locationName}`,
    dear(facts, ['nominatedIndividual']),
    [
      letterHead(facts, ['nominatedIndividual']),
      `${facts.icbName} is issuing this Contract Performance Notice under the NHS care home contract for ${whereAndWhat(facts)}, alongside the council's Formal Quality Improvement Notice.`,
      ...groundsParagraphs(facts.grounds, 'The ICB is acting on'),
      `The ICB's annual contract review continues as the contract requires. We will take part in the Quality Improvement Meeting and expect the improvement plan to cover nursing care.`,
      `Please direct questions to ${facts.officer.name}, who coordinates the joint process.`,
    ],
    signature(facts.officer, facts.authorityName, { ...facts, nhsFunded: true }),
  );
}

export function qimInvitation(facts: CaseFacts, qim: Qim): Letter {
  return compose(
    `Invitation to a Quality Improvement Meeting: ${facts.locationName}`,
    dear(facts, ['registeredManager']),
    [
      letterHead(facts, ['registeredManager']),
      ...jointly(facts),
      `Following our conversation, I am confirming the Quality Improvement Meeting (QIM) for ${whereAndWhat(facts)}.`,
      { list: [`Date: ${longDate(qim.date)}`, `Time: ${clockTimeWords(qim.time)}`, `Venue: ${qim.venue}`] },
      ...groundsParagraphs(facts.grounds, 'The meeting is about'),
      `I will chair the meeting. We will go through each of these, what lies behind it and how it affects the people you support, and agree how we can help you bring the service back up to standard. Please bring your action plan, or we can build it with you.`,
      `The company owner or chief officer and the Nominated Individual should know about this meeting. We expect the owner or a senior manager to attend together with the Registered Manager.`,
      `Also invited: ${qim.attendees.length ? qim.attendees.join(', ') : 'no one else at this stage'}.`,
      `At the end of the meeting we will settle our commissioning position (suspending new placements, placing with restrictions, or no further action) and whether people using the service and their families should be told about the concerns.`,
      `If improvements are not sustained after the meeting, the service will be referred to the Commissioning & Quality Board, which may issue a rectification notice or a final warning.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

const POSITION_WORDS = {
  suspendNewPlacements: 'we will not make new placements with the service for now',
  placeWithRestrictions: 'we will continue to place people, with restrictions',
  noFurtherAction: 'we are not changing how we place people with the service',
} as const;

export function qimNotesAndActions(
  facts: CaseFacts,
  outcome: {
    decision: 'resolved' | 'followUp' | 'referToBoard';
    position?: keyof typeof POSITION_WORDS;
    informServiceUsers: boolean;
    actions: ImprovementAction[];
    note: string;
  },
): Letter {
  const decisionWords = {
    resolved: 'The concerns are resolved. The formal stage ends and routine contract visits resume.',
    followUp: 'We will hold a follow-up Quality Improvement Meeting to review progress against the plan.',
    referToBoard: 'Because the concerns remain, the service is being referred to the Commissioning & Quality Board.',
  }[outcome.decision];
  return compose(
    `Quality Improvement Meeting: notes and actions for ${facts.locationName}`,
    dear(facts, ['registeredManager']),
    [
      letterHead(facts, ['registeredManager']),
      ...jointly(facts),
      `These are the agreed notes and actions from the Quality Improvement Meeting about ${whereAndWhat(facts)}.`,
      ...groundsParagraphs(facts.grounds, 'The meeting considered'),
      ...(outcome.note ? [`Summary: ${outcome.note}`] : []),
      ...(outcome.position ? [`Commissioning position: ${POSITION_WORDS[outcome.position]}.`] : []),
      outcome.informServiceUsers
        ? 'We will write, with you, to the people using the service and their families so that everyone hears the same, accurate account.'
        : 'We are not writing to people using the service and their families at this stage.',
      { heading: 'Improvement plan' },
      outcome.actions.length
        ? { list: outcome.actions.map(actionLine) }
        : 'No actions were recorded.',
      decisionWords,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

export function serviceProviderDefault(facts: CaseFacts, actions: ImprovementAction[]): Letter {
  return compose(
    `Notice of service provider default: ${facts.locationName}`,
    dear(facts, ['nominatedIndividual']),
    [
      letterHead(facts, ['nominatedIndividual']),
      ...jointly(facts),
      `We are writing to tell you that ${whereAndWhat(facts)} is in default of its contract and has been referred to the joint Commissioning & Quality Board.`,
      ...groundsParagraphs(facts.grounds, 'The default rests on'),
      ...(facts.grounds.ratings.length ? ['Under our Contract, Quality and Risk Management Policy, a CQC rating below Good is in itself a service provider default.'] : []),
      ...(facts.grounds.concerns.length ? ['The concerns have not been resolved through the Quality Improvement process, and further action is needed from you to evidence improvement.'] : []),
      { heading: 'Rectification required' },
      actions.length
        ? { list: actions.map(actionLine) }
        : 'Complete the actions in your improvement plan by their agreed dates and evidence that the improvement is lasting.',
      `The Board will decide what happens next. It may issue a rectification notice or a final warning; under a final warning you would have at most six months to evidence sustained improvement.`,
      `Your contact remains ${facts.officer.name}.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

export function rectificationNotice(facts: CaseFacts, chair: Contact): Letter {
  return compose(
    `CONFIDENTIAL — Rectification notice: ${facts.providerName} (${facts.locationName})`,
    dear(facts, BOARD_ADDRESSEES, true),
    [
      letterHead(facts, BOARD_ADDRESSEES, true),
      `${facts.authorityName} and ${facts.icbName} have jointly decided to issue this rectification notice for ${whereAndWhat(facts)}, after the quality improvement work we have done with you.`,
      ...groundsParagraphs(facts.grounds, 'The notice rests on'),
      `We will measure progress at the next CQC inspection and expect it to show significant improvement. If sustainable improvement is not made, the Commissioning & Quality Board will consider the service again and may issue a Final Warning Notice. Under a final warning you would need to evidence sustained improvement, to a level the Board accepts, within six months at most; if you could not, the Board may find you in breach of contract and end it with a letter of termination.`,
      `We will keep supporting you and your Registered Manager and keep monitoring progress through our usual quality improvement arrangements. The joint Contract, Quality and Risk Management Policy, which describes the Board, applies.`,
      `Please confirm that you have received this letter by replying to ${facts.officer.email}.`,
    ],
    chairSignature(chair, facts),
  );
}

export function finalWarningNotice(facts: CaseFacts, chair: Contact, boardMeetingDate: string, deadline: string): Letter {
  return compose(
    `CONFIDENTIAL — Final Warning Notice: ${facts.providerName} (${facts.locationName})`,
    dear(facts, BOARD_ADDRESSEES, true),
    [
      letterHead(facts, BOARD_ADDRESSEES, true),
      `At its meeting on ${boardMeetingDate}, the joint Commissioning & Quality Board of ${facts.authorityName} and ${facts.icbName} decided to issue this Final Warning Notice for ${whereAndWhat(facts)}, because the matters below have not been put right.`,
      ...groundsParagraphs(facts.grounds, 'The warning rests on'),
      `You must evidence sustained improvement, to a level the Board accepts, by ${deadline} at the latest (six months from the date of this notice). The Board may accept it sooner. If you cannot, the Board may notify you that you are in breach of contract and end the contract with a letter of termination.`,
      `Depending on the size and nature of the service, we may ask you to a strategic meeting with senior managers to discuss the contract, what we expect and by when. We will keep supporting you and your staff and monitoring progress.`,
      `Please confirm that you have received this letter by replying to ${facts.officer.email}.`,
    ],
    chairSignature(chair, facts),
  );
}

export function sustainabilityReviewNotice(facts: CaseFacts, reviewDate: string): Letter {
  return compose(
    `Improvement accepted — review on ${reviewDate}: ${facts.locationName}`,
    dear(facts, BOARD_ADDRESSEES, true),
    [
      letterHead(facts, BOARD_ADDRESSEES, true),
      ...jointly(facts),
      `The Commissioning & Quality Board has accepted the evidence of improvement at ${whereAndWhat(facts)}. The service is no longer on the final warning route.`,
      ...groundsParagraphs(facts.grounds, 'The case arose from'),
      `To make sure the improvement lasts, the Board has set an automatic review for ${reviewDate}, six months from today. If the improvement has not been sustained by then, the Board will consider the service again.`,
      `Thank you for the work you and your staff have done. ${facts.officer.name} remains your contact.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

/** What the Board's decision to terminate means in dates: the notice given and when the contract ends. */
export interface TerminationTerms {
  /** The Board meeting that decided it, in words ("10 December 2026"). */
  boardMeetingDate: string;
  /** The notice the contract gives, in days (the register's, else the policy's). */
  noticeDays: number;
  /** The day the contract ends, in words. */
  endDate: string;
  /** People the council has placed at the service under the contract. */
  placements: number;
}

function peoplePlaced(count: number): string {
  if (count === 0) return 'We have no one placed at the service under this contract at present.';
  return count === 1 ? 'We have placed one person at the service under this contract.' : `We have placed ${count} people at the service under this contract.`;
}

export function letterOfTermination(facts: CaseFacts, chair: Contact, terms: TerminationTerms): Letter {
  const contract = facts.contractReference ? `the contract (reference ${facts.contractReference})` : 'the contract';
  return compose(
    `CONFIDENTIAL — Letter of Termination: ${facts.providerName} (${facts.locationName})`,
    dear(facts, BOARD_ADDRESSEES, true),
    [
      letterHead(facts, BOARD_ADDRESSEES, true),
      `The Final Warning Notice for ${whereAndWhat(facts)} required you to evidence sustained improvement, to a level the Commissioning & Quality Board accepts, within six months. That has not happened.`,
      ...groundsParagraphs(facts.grounds, 'The case rested on'),
      `At its meeting on ${terms.boardMeetingDate}, the Board decided that you are in breach of contract. ${onBehalfOf(facts)} therefore ${facts.nhsFunded ? 'give' : 'gives'} you ${terms.noticeDays} days' notice: ${contract} ends on ${terms.endDate}. We will make no new placements with the service from today.`,
      { heading: 'The people placed with you' },
      `${peoplePlaced(terms.placements)} We are writing to the people who use the service and their families to explain what is happening, and we will help each of them choose and move to other care before the contract ends. Please work with us so that every move is planned and safe.`,
      `Anyone who chooses to stay with you may do so, as long as the service remains registered with the CQC; we will make sure they understand what that means.`,
      { heading: 'Who to contact' },
      `${facts.officer.name} will arrange a meeting with you to plan an orderly end to the contract, and is your contact for anything about the people placed with you: ${[facts.officer.phone, facts.officer.email].filter(Boolean).join(' or ')}.`,
    ],
    chairSignature(chair, facts),
  );
}

export function caseClosedNotice(facts: CaseFacts, why: string): Letter {
  return compose(
    `Quality process closed: ${facts.locationName}`,
    dear(facts, ['registeredManager']),
    [
      letterHead(facts, ['registeredManager']),
      ...jointly(facts),
      `The quality process about ${whereAndWhat(facts)} is now closed: ${why}`,
      ...groundsParagraphs(facts.grounds, 'It was opened because of'),
      `Routine contract monitoring continues. Thank you for working with us. ${facts.officer.name} remains your contact.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

// ---- to people using the service and their families ---------------------------------------

export function letterToServiceUsers(facts: CaseFacts, reason: 'concerns' | 'termination' | 'resolved'): Letter {
  const body = {
    concerns: [
      `We want you to hear directly from us that we have concerns about the quality of care at ${facts.locationName}, and that we are working with ${facts.providerName} to put them right. They come from:`,
      groundsForFamilies(facts.grounds),
      'Nothing changes for you today. If you have worries about your own care or that of someone close to you, please contact us: we will listen and help.',
    ],
    termination: [
      `${facts.authorityName} is ending its contract with ${facts.providerName} for ${facts.locationName}, because the quality of care has not improved enough despite a long period of support. Our concerns came from:`,
      groundsForFamilies(facts.grounds),
      'We will contact you personally to talk about what this means, and help you and your family choose and move to another service. Where someone cannot decide for themselves, we will hold a best-interests meeting with family, friends or an advocate.',
      'If you choose to stay, you may, as long as the service remains registered with the CQC; we will make sure you understand what that means.',
    ],
    resolved: [
      `We wrote to you earlier about concerns at ${facts.locationName}. We are glad to tell you that they have now been resolved. They came from:`,
      groundsForFamilies(facts.grounds),
    ],
  }[reason];
  return compose(
    `About the care at ${facts.locationName}`,
    'Dear resident, family member or friend,',
    [headFields(facts, `People using ${facts.locationName}, their families and friends`), ...body, `You can reach ${facts.officer.name} on ${facts.officer.phone || facts.officer.email}.`],
    signature(facts.officer, facts.authorityName, facts),
  );
}

// ---- internal: officers, Board, safeguarding, administrator -------------------------------

export interface DecisionLink {
  label: string;
  url: string;
}

export function decisionRequest(
  facts: CaseFacts,
  request: { step: string; asks: string; links: DecisionLink[]; dueBy: string; reminder: number; caseUrl: string },
  addressee: string,
): Letter {
  const prefix = request.reminder > 0 ? `Reminder ${request.reminder}: ` : '';
  return compose(
    `${prefix}Action needed: ${request.step} — ${facts.locationName} (${facts.providerName}), by ${request.dueBy}`,
    `Dear ${addressee},`,
    [
      `The case about ${whereAndWhat(facts)} is waiting for you. What is needed: ${request.asks}`,
      request.reminder > 0
        ? `This is reminder ${request.reminder}: nobody has answered yet. Please answer by ${request.dueBy}.`
        : `Please answer by ${request.dueBy}.`,
      ...groundsParagraphs(facts.grounds, 'The case rests on'),
      'Each link opens a confirmation page; nothing happens until you confirm there. Each link works once.',
      ...request.links.map((link) => ({ link: link.url, label: link.label })),
      { link: request.caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

export function boardPapers(
  facts: CaseFacts,
  papers: { reason: string; history: string[]; meeting?: string; plan: ImprovementAction[]; caseUrl: string; providerSide?: { receipts: string[]; response: string[] } },
): Letter {
  return compose(
    `Board papers: ${facts.providerName} — ${facts.locationName}`,
    'Dear Board member,',
    [
      `${whereAndWhat(facts)} is before the Commissioning & Quality Board: ${papers.reason}`,
      papers.meeting
        ? `It is listed for the meeting on ${papers.meeting}.`
        : 'No scheduled meeting is at least seven days away: it will go to the next meeting, unless an urgent virtual decision is needed.',
      { heading: 'Summary' },
      { list: [`Lead officer: ${facts.officer.name}`, ...papers.history, `CQC ratings on record today: ${facts.ratingSummary}`] },
      ...groundsParagraphs(facts.grounds, 'The case rests on'),
      { heading: 'Improvement plan' },
      papers.plan.length ? { list: papers.plan.map(actionLine) } : 'No plan recorded.',
      ...(papers.providerSide
        ? [
            { heading: 'Letters to the provider: receipt' },
            papers.providerSide.receipts.length ? { list: papers.providerSide.receipts } : 'No formal letter has asked for confirmation of receipt.',
            { heading: "The provider's response to the evidence" },
            ...(papers.providerSide.response.length ? papers.providerSide.response : ['The provider has not been invited to respond.']),
          ]
        : []),
      'Decisions are recorded on the Board page after a quorate meeting (or an urgent virtual decision).',
      { link: papers.caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

export function safeguardingOption(facts: CaseFacts, step: string, asks: string, links: DecisionLink[], caseUrl: string): Letter {
  return compose(
    `For information: ${step} — ${facts.locationName}`,
    `Dear ${facts.officer.name},`,
    [
      `${whereAndWhat(facts)} is now at step "${step}": ${asks} Nothing is needed from you for this step.`,
      ...groundsParagraphs(facts.grounds, 'The case rests on'),
      'If a whole-service concern arises meanwhile, you can pass the case to safeguarding; it will come back to this step afterwards, with any deadline unchanged.',
      ...links.map((link) => ({ link: link.url, label: link.label })),
      { link: caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

export function safeguardingReferral(facts: CaseFacts, note: string, link: DecisionLink[], caseUrl: string): Letter {
  return compose(
    `Whole-service safeguarding concern: ${facts.locationName}`,
    'Dear Safeguarding Adults team,',
    [
      `${facts.officer.name} has passed the quality case about ${whereAndWhat(facts)} to safeguarding as a whole-service concern.`,
      ...(note ? [`Officer's note: ${note}`] : []),
      ...groundsParagraphs(facts.grounds, 'The quality case rests on'),
      'The quality process waits while safeguarding leads. When you are ready for it to resume where it left off, use the link below.',
      ...link.map((item) => ({ link: item.url, label: item.label })),
      { link: caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

export function stepFailureAlert(facts: CaseFacts, step: string, error: string, caseUrl: string): Letter {
  return compose(
    `Action needed: "${step}" failed — ${facts.locationName}`,
    'Dear administrator,',
    [
      `The step "${step}" for ${whereAndWhat(facts)} failed after its retries: ${error}`,
      'The case is waiting where it was; nothing has been lost. Fix the cause, then retry the step from the case page or the link that follows in a separate email.',
      ...groundsParagraphs(facts.grounds, 'For reference, the case rests on'),
      { link: caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

/** To the lead officer: a letter SES accepted bounced, or a recipient marked it as spam. */
export function mailNotDelivered(
  facts: CaseFacts,
  report: { type: 'bounce' | 'complaint'; subject: string; sentOn: string; recipients: string[]; detail: string },
  caseUrl: string,
): Letter {
  const bounced = report.type === 'bounce';
  return compose(
    `${bounced ? 'Not delivered' : 'Complaint received'}: "${report.subject}" — ${facts.locationName}`,
    `Dear ${facts.officer.name},`,
    [
      bounced
        ? `The email "${report.subject}" sent on ${report.sentOn} about ${whereAndWhat(facts)} did not reach ${report.recipients.join(', ')}. The receiving mail server answered: ${report.detail}.`
        : `${report.recipients.join(', ')} reported the email "${report.subject}" sent on ${report.sentOn} about ${whereAndWhat(facts)} as unwanted (${report.detail}). Further mail to that address may be held back.`,
      bounced
        ? 'They may not know what the letter says. Please check the address on the contract record and make sure they receive it another way.'
        : 'Please contact them to make sure they know what the letter says and that the address is the right one.',
      ...groundsParagraphs(facts.grounds, 'For reference, the case rests on'),
      { link: caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

// ---- the provider's side (confirm receipt, answer the evidence) -----------------------------

/** One letter whose receipt is not confirmed, for the reminder and the officer's note. */
export interface UnconfirmedLetter {
  subject: string;
  sentOn: string;
  addressee: string;
  link?: string;
}

/** To the provider: a formal letter's receipt is not confirmed after the working days allowed. */
export function receiptReminder(facts: CaseFacts, letter: UnconfirmedLetter): Letter {
  return compose(
    `Please confirm you received: "${letter.subject}"`,
    dear(facts, ['nominatedIndividual', 'registeredManager']),
    [
      letterHead(facts, ['nominatedIndividual', 'registeredManager']),
      `On ${letter.sentOn} we sent ${letter.addressee} the letter "${letter.subject}" about ${whereAndWhat(facts)}. We have not yet had confirmation that it arrived.`,
      ...groundsParagraphs(facts.grounds, 'The letter is about'),
      'Please open the link below and confirm that you have received it. If it did not reach you, tell us and we will send it again.',
      ...(letter.link ? [{ link: letter.link, label: 'Confirm receipt' }] : []),
      `${facts.officer.name} has been told that the letter is not yet confirmed.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

/** To the lead officer: letters the provider has not confirmed, or that bounced. */
export function receiptNotConfirmed(facts: CaseFacts, unconfirmed: UnconfirmedLetter[], workingDays: number, caseUrl: string): Letter {
  return compose(
    `Not confirmed by the provider: ${unconfirmed.length === 1 ? `"${unconfirmed[0]!.subject}"` : `${unconfirmed.length} letters`} — ${facts.locationName}`,
    `Dear ${facts.officer.name},`,
    [
      `${facts.providerName} has not confirmed receipt of ${unconfirmed.length === 1 ? 'this letter' : 'these letters'} about ${whereAndWhat(facts)} within ${workingDays} working days:`,
      { list: unconfirmed.map((item) => `"${item.subject}", sent on ${item.sentOn} to ${item.addressee}`) },
      'The provider has been sent a reminder with the confirm-receipt link. You may want to call them to make sure the letter has been read.',
      ...groundsParagraphs(facts.grounds, 'For reference, the case rests on'),
      { link: caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}

/**
 * To the provider, before the Board considers a referral: the evidence the case rests on, and the
 * chance to answer it in writing, with documents, by a date.
 */
export function evidenceResponseInvitation(facts: CaseFacts, invitation: { dueBy: string; link: string; maxFileMegabytes: number }): Letter {
  return compose(
    `Your chance to respond before the Board: ${facts.locationName}`,
    dear(facts, ['nominatedIndividual', 'registeredManager']),
    [
      letterHead(facts, ['nominatedIndividual', 'registeredManager']),
      ...jointly(facts),
      `The case about ${whereAndWhat(facts)} is going to the Commissioning & Quality Board. Before the Board considers it, you may tell the Board your side.`,
      ...groundsParagraphs(facts.grounds, 'The Board will be given'),
      `Using the link below you can send a written response and up to three documents (PDF, images, Word, Excel or PowerPoint files, each at most ${invitation.maxFileMegabytes} MB) by ${invitation.dueBy}. You might show where the facts are wrong, what has already changed, or evidence of improvement.`,
      { link: invitation.link, label: 'Respond to the evidence' },
      'What you send goes to the Board members with the papers; anything arriving after the papers have gone out is sent to them as an addendum. The link works for one response.',
      `If you have questions, contact ${facts.officer.name}.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

/** To the Board members: the provider's response, after the papers went out. */
export function providerResponseAddendum(facts: CaseFacts, response: { receivedOn: string; by: string; text: string; files: string[]; caseUrl: string }): Letter {
  return compose(
    `Addendum to the Board papers: the provider's response — ${facts.providerName} (${facts.locationName})`,
    'Dear Board member,',
    [
      `The provider has responded to the evidence in the case about ${whereAndWhat(facts)}, after the Board papers were sent. Please read it with the papers before deciding.`,
      { list: [`Received: ${response.receivedOn}`, `From: ${response.by}`, `Documents: ${response.files.length ? response.files.join(', ') : 'none'}`] },
      { heading: "The provider's response" },
      response.text,
      ...groundsParagraphs(facts.grounds, 'The case rests on'),
      'The documents can be downloaded from the case page.',
      { link: response.caseUrl, label: 'Open the case' },
    ],
    ['Care quality escalation', facts.authorityName],
  );
}
