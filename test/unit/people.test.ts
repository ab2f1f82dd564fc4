import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../functions/lib/config';
import { directoryFromConfig, isActive, peopleFromConfig } from '../../functions/lib/people';

describe('the people of the configuration', () => {
  const config = loadConfigFile('config/local.json');

  it('are each one person, with the roles of every list they are in', () => {
    const people = peopleFromConfig(config);
    expect(new Set(people.map((person) => person.id)).size).toBe(people.length);
    expect(people.find((person) => person.id === 'tom-reid')?.roles).toEqual(['qualityOfficer']);
    expect(people.find((person) => person.id === 'lena-wu')?.roles).toEqual(['boardAdvisor']);
    expect(people.find((person) => person.id === 'mark-ellis')?.roles).toEqual(['boardDecisionMaker', 'positionAuthoriser']);
    expect(people.find((person) => person.id === 'dev-patel')?.roles).toEqual(['administrator']);
  });

  it('are found by email whatever its case', async () => {
    const directory = directoryFromConfig(config);
    expect((await directory.byEmail('Tom.Reid@westshire.example.gov.uk'))?.id).toBe('tom-reid');
    expect(await directory.byEmail('nobody@example.org')).toBeUndefined();
  });

  it('act only within their dates', () => {
    const person = { id: 'x', name: 'X', email: 'x@example.org', phone: '', roles: [], activeFrom: '2026-01-01', activeTo: '2026-12-31' };
    expect(isActive(person, '2025-12-31')).toBe(false);
    expect(isActive(person, '2026-06-01')).toBe(true);
    expect(isActive(person, '2027-01-01')).toBe(false);
  });
});
