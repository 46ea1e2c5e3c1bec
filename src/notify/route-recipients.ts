// A workflow route from the policy (`to: [line-manager]`, `to: [class-teacher, headteacher]`) as
// the notifier's recipients. Roles and role sets pass through (the notifier expands them); the
// two relations are resolved against the person the case is about:
// - `line-manager`: the person's line manager from the people store (roster `line manager`);
// - `class-teacher`: active teachers who share a group with the person (a pupil's class).
// A relation that resolves to nobody (no line manager on record) is reported in `unresolved`, so
// the workflow can fall back or say so, rather than notify no one without a word.
import type { PersonRecord } from '../identity/index.ts';
import type { Recipient } from './notifier.ts';

export interface RouteRecipients {
  to: Recipient[];
  /** relations that found nobody */
  unresolved: Array<'line-manager' | 'class-teacher'>;
}

export function routeRecipients(
  route: readonly string[],
  about: string | null,
  people: { get(username: string): PersonRecord | null; list(filter: { role?: string }): PersonRecord[] },
  options: { teacherRoles?: readonly string[] } = {},
): RouteRecipients {
  const to: Recipient[] = [];
  const unresolved: RouteRecipients['unresolved'] = [];
  const person = about !== null ? people.get(about) : null;
  for (const step of route) {
    if (step === 'line-manager') {
      if (person?.lineManager) to.push({ person: person.lineManager });
      else unresolved.push('line-manager');
    } else if (step === 'class-teacher') {
      const groups = new Set(person?.groups ?? []);
      const teachers = (options.teacherRoles ?? ['teacher']).flatMap((role) => people.list({ role })).filter((t) => t.groups.some((g) => groups.has(g)));
      if (teachers.length > 0) for (const t of teachers) to.push({ person: t.username });
      else unresolved.push('class-teacher');
    } else {
      to.push({ role: step });
    }
  }
  return { to, unresolved };
}
