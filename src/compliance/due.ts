// Due-date arithmetic, one rule for training, acknowledgements and self-checks:
//   - the first time, it is due `firstWithin` after the anchor (the person's start, or for an
//     acknowledgement the later of their start and the version coming into force);
//   - after a completion it is due again `every` after the last one, or never when it is once only;
//   - overdue from the due instant on; due "soon" within 14 days of it (4.1–4.3, 6.13).
// A completion before the anchor still counts (training done before a recorded start date).
import type { DueCell } from './compliance-types.ts';

export const DAY_MS = 86_400_000;
/** how far ahead a due date counts as soon, and reminders go out */
export const DUE_SOON_MS = 14 * DAY_MS;

export interface DueInput {
  /** the person's role is asked to do it */
  required: boolean;
  anchorAt: number;
  /** the latest completion, or null */
  lastAt: number | null;
  firstWithinMs: number;
  /** null: once only */
  everyMs: number | null;
  now: number;
}

export function dueCell(input: DueInput): DueCell {
  const { required, anchorAt, lastAt, firstWithinMs, everyMs, now } = input;
  if (!required) return { state: 'not-required', dueAt: null, soon: false, lastAt };
  let dueAt: number | null;
  if (lastAt === null) dueAt = anchorAt + firstWithinMs;
  else dueAt = everyMs === null ? null : lastAt + everyMs;
  if (dueAt === null) return { state: 'done', dueAt: null, soon: false, lastAt };
  if (now >= dueAt) return { state: 'overdue', dueAt, soon: true, lastAt };
  const soon = dueAt - now <= DUE_SOON_MS;
  // done and not yet coming round again; never done is owed however far off its date is
  if (lastAt !== null && !soon) return { state: 'done', dueAt, soon: false, lastAt };
  return { state: 'due', dueAt, soon, lastAt };
}
