/**
 * The letters of the two routes outside the in-county ladder, in the product's own words: sharing
 * concerns about an out-of-county service with the authority it is in (seed 003 §1.18), and
 * inviting a provider the council holds no contract with to agree an improvement plan (seed 003,
 * Scope). Addressed to people by name where the product knows it; like every letter, each states
 * the case's grounds and no others.
 */
import { compose, dear, groundsParagraphs, headFields, letterHead, signature, whereAndWhat, type CaseFacts, type Contact, type Letter } from '../ladder/letter-parts';

export function hostAuthorityLetter(facts: CaseFacts, host: { name: string; contact: Contact }): Letter {
  return compose(
    `Quality concerns about ${facts.locationName}, a service in your area`,
    `Dear ${host.contact.name},`,
    [
      headFields(facts, `${host.contact.name}, ${host.name}`),
      `${facts.authorityName} places people with ${whereAndWhat(facts)}, which is in the area of ${host.name}. We do not carry out contract visits to services outside our county, so we are sharing our concerns with you as the authority responsible for quality and safeguarding where the service is.`,
      ...groundsParagraphs(facts.grounds, 'We are concerned about the service because of'),
      `Current CQC ratings: ${facts.ratingSummary}.`,
      'We would be grateful to hear what you find and what you decide, and to be told of any significant quality or safeguarding issue, so that we can review the care of the people we place there.',
      `Please reply to ${facts.officer.name}.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}

export function partnershipLetter(facts: CaseFacts, addressee: string | undefined): Letter {
  return compose(
    `Working with you on quality at ${facts.locationName}`,
    addressee ? `Dear ${addressee},` : dear(facts, ['owner', 'nominatedIndividual'], true),
    [
      letterHead(facts, ['owner', 'nominatedIndividual'], true),
      `${facts.authorityName} does not hold a contract with you for ${whereAndWhat(facts)}, but we want every registered service in the county to meet the standard people are entitled to.`,
      ...groundsParagraphs(facts.grounds, 'We are concerned about the service because of'),
      `Current CQC ratings: ${facts.ratingSummary}.`,
      'We invite you to agree an improvement plan with us: each action with the person responsible and a date, which we will review with you. Where a concern is, or may become, a safeguarding risk, we will refer it to the safeguarding adults team under the Care Act 2014.',
      `Please contact ${facts.officer.name} within ten working days to arrange a first conversation.`,
    ],
    signature(facts.officer, facts.authorityName, facts),
  );
}
