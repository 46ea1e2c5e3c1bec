import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOn } from '../../src/identity/index.ts';

const LONDON = 'Europe/London';

test('a pupil turns a year older on the first moment of their birthday in the school zone', () => {
  // 5 March 2017: on 4 March 2026 at 23:59 London time the pupil is 8, at midnight 9
  assert.equal(ageOn('2017-03-05', Date.parse('2026-03-04T23:59:59Z'), LONDON), 8);
  assert.equal(ageOn('2017-03-05', Date.parse('2026-03-05T00:00:00Z'), LONDON), 9);
});

test('the birthday is counted in the school zone, not the server zone', () => {
  // 23:30 UTC on 4 June is 00:30 on 5 June in London (summer time)
  const at = Date.parse('2026-06-04T23:30:00Z');
  assert.equal(ageOn('2016-06-05', at, LONDON), 10);
  assert.equal(ageOn('2016-06-05', at, 'UTC'), 9);
});

test('a 29 February birthday is reached on 1 March in other years and on 29 February in leap years', () => {
  assert.equal(ageOn('2016-02-29', Date.parse('2027-02-28T12:00:00Z'), LONDON), 10);
  assert.equal(ageOn('2016-02-29', Date.parse('2027-03-01T00:00:00Z'), LONDON), 11);
  assert.equal(ageOn('2016-02-29', Date.parse('2028-02-28T12:00:00Z'), LONDON), 11);
  assert.equal(ageOn('2016-02-29', Date.parse('2028-02-29T00:00:00Z'), LONDON), 12);
});

test('no age before birth or for a malformed date', () => {
  assert.equal(ageOn('2027-01-01', Date.parse('2026-11-24T10:00:00Z'), LONDON), null);
  assert.equal(ageOn('01/01/2017', Date.parse('2026-11-24T10:00:00Z'), LONDON), null);
  assert.equal(ageOn('2026-11-24', Date.parse('2026-11-24T10:00:00Z'), LONDON), 0);
});
