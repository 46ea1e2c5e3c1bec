// Due-date arithmetic for training (4.1–4.3), acknowledgements and self-checks (6.13).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueCell, DUE_SOON_MS } from '../../src/compliance/index.ts';
import { DAY, SEPT_1 } from './fixture.ts';

const YEAR = 365 * DAY;

describe('due dates', () => {
  it('is not required for a role the course does not ask', () => {
    const cell = dueCell({ required: false, anchorAt: SEPT_1, lastAt: null, firstWithinMs: 30 * DAY, everyMs: YEAR, now: SEPT_1 + 100 * DAY });
    assert.deepEqual(cell, { state: 'not-required', dueAt: null, soon: false, lastAt: null });
  });

  it('makes induction due its window after the start, soon in its last 14 days and overdue after (4.2)', () => {
    const input = { required: true, anchorAt: SEPT_1, lastAt: null, firstWithinMs: 30 * DAY, everyMs: null };
    const day1 = dueCell({ ...input, now: SEPT_1 + DAY });
    assert.equal(day1.state, 'due');
    assert.equal(day1.dueAt, SEPT_1 + 30 * DAY);
    assert.equal(day1.soon, false);
    const day20 = dueCell({ ...input, now: SEPT_1 + 20 * DAY });
    assert.equal(day20.state, 'due');
    assert.equal(day20.soon, true);
    const late = dueCell({ ...input, now: SEPT_1 + 30 * DAY });
    assert.equal(late.state, 'overdue');
  });

  it('counts once-only training done for good once completed, even late', () => {
    const cell = dueCell({ required: true, anchorAt: SEPT_1, lastAt: SEPT_1 + 40 * DAY, firstWithinMs: 14 * DAY, everyMs: null, now: SEPT_1 + 3 * YEAR });
    assert.deepEqual(cell, { state: 'done', dueAt: null, soon: false, lastAt: SEPT_1 + 40 * DAY });
  });

  it('brings yearly training round again a year after the last completion (4.3)', () => {
    const done = SEPT_1 + 10 * DAY;
    const input = { required: true, anchorAt: SEPT_1, lastAt: done, firstWithinMs: 90 * DAY, everyMs: YEAR };
    const march = dueCell({ ...input, now: done + 200 * DAY });
    assert.equal(march.state, 'done');
    assert.equal(march.dueAt, done + YEAR);
    const twoWeeksBefore = dueCell({ ...input, now: done + YEAR - DUE_SOON_MS });
    assert.equal(twoWeeksBefore.state, 'due');
    assert.equal(twoWeeksBefore.soon, true);
    const dayBeforeWindow = dueCell({ ...input, now: done + YEAR - DUE_SOON_MS - 1 });
    assert.equal(dayBeforeWindow.state, 'done');
    const aYearOn = dueCell({ ...input, now: done + YEAR });
    assert.equal(aYearOn.state, 'overdue');
    const renewed = dueCell({ ...input, lastAt: done + YEAR + 3 * DAY, now: done + YEAR + 4 * DAY });
    assert.equal(renewed.state, 'done');
    assert.equal(renewed.dueAt, done + 2 * YEAR + 3 * DAY);
  });

  it('counts a completion from before a recorded start date', () => {
    const cell = dueCell({ required: true, anchorAt: SEPT_1, lastAt: SEPT_1 - 20 * DAY, firstWithinMs: 14 * DAY, everyMs: null, now: SEPT_1 + DAY });
    assert.equal(cell.state, 'done');
  });
});
