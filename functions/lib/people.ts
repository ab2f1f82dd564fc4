/**
 * The people the product knows: who signs in, who leads cases, who sits on the Board. The
 * directory is a port: today it is read from the configuration (directoryFromConfig); the roster
 * kept in the table implements the same interface, and sign-in, the pages and the ladder read
 * people only through it.
 */
import type { AppConfig } from './config';
import type { Role } from './roles';

export interface Person {
  /** Stable id (lower-case letters, digits and dashes), used in links, audit events and cases. */
  id: string;
  name: string;
  email: string;
  phone: string;
  roles: Role[];
  /** ISO dates (YYYY-MM-DD): the person may act from/until these days; absent = no limit. */
  activeFrom?: string;
  activeTo?: string;
}

export interface PeopleDirectory {
  list(): Promise<Person[]>;
  byId(id: string): Promise<Person | undefined>;
  /** Case-insensitive match on the email address. */
  byEmail(email: string): Promise<Person | undefined>;
}

/** Whether the person may act on `day` (YYYY-MM-DD). */
export function isActive(person: Person, day: string): boolean {
  return (!person.activeFrom || person.activeFrom <= day) && (!person.activeTo || day <= person.activeTo);
}

export function hasRole(person: Person, role: Role): boolean {
  return person.roles.includes(role);
}

/**
 * The people of a configuration: officers and Board members (a person listed in both is one
 * person with both sets of roles). Roles default by where the person is listed.
 */
export function peopleFromConfig(config: AppConfig): Person[] {
  const byId = new Map<string, Person>();
  const add = (entry: { id: string; name: string; email: string; phone?: string; roles?: Role[] }, defaults: Role[]) => {
    const roles = entry.roles ?? defaults;
    const known = byId.get(entry.id);
    if (known) {
      known.roles = [...new Set([...known.roles, ...roles])];
      if (!known.phone && entry.phone) known.phone = entry.phone;
      return;
    }
    byId.set(entry.id, { id: entry.id, name: entry.name, email: entry.email, phone: entry.phone ?? '', roles: [...roles] });
  };
  for (const officer of config.officers) add(officer, ['qualityOfficer']);
  for (const member of config.board.members) add(member, [member.role === 'advisor' ? 'boardAdvisor' : 'boardDecisionMaker']);
  for (const person of config.people) add(person, person.roles);
  return [...byId.values()];
}

export function directoryFromConfig(config: AppConfig): PeopleDirectory {
  const people = peopleFromConfig(config);
  return {
    list: () => Promise.resolve(people.map((person) => ({ ...person }))),
    byId: (id) => Promise.resolve(people.find((person) => person.id === id)),
    byEmail: (email) => Promise.resolve(people.find((person) => person.email.toLowerCase() === email.toLowerCase())),
  };
}
