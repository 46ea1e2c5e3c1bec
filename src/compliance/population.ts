// Who compliance tracks: the active people of the people store (the roster, the directory and
// people added by hand), each with the role that says which training, acknowledgement and
// self-checks they owe. The filter checks' own identities are never among them.
import { isCheckIdentity } from './check-identities.ts';

export interface ComplianceMember {
  username: string;
  displayName: string;
  role: string;
  /** when the person was added, where the source knows it; used before the first sighting */
  addedAt?: number;
}

export type Population = () => readonly ComplianceMember[] | Promise<readonly ComplianceMember[]>;

/** The people store's active people (PeopleStore fits as it is). */
export function peoplePopulation(people: { list(): ReadonlyArray<{ username: string; displayName: string; role: string; active: boolean }> }): Population {
  return () =>
    people
      .list()
      .filter((person) => person.active && !isCheckIdentity(person.username))
      .map((person) => ({ username: person.username, displayName: person.displayName, role: person.role }));
}
