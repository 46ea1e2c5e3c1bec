// The in-memory set `decide` reads (8.2): who is under a supervised-only sanction and who has a
// supervised session open, judged at the time of the query; and what a proposal calls each attempt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SanctionSet, attemptKind, type SanctionEntry } from '../../src/cases/sanctions/index.ts';
import type { Person } from '../../src/engine/index.ts';
import { LESSON, HOUR, MINUTE, testEngine } from './fixtures.ts';

function setOf(entries: Record<string, SanctionEntry>): SanctionSet {
  return new SanctionSet(new Map(Object.entries(entries)), 1);
}

const sanctioned: SanctionEntry = { sanctionId: 'sanc-1', until: LESSON + 2 * HOUR, sessionId: null, sessionUntil: 0 };
const inSession: SanctionEntry = { sanctionId: 'sanc-2', until: LESSON + 2 * HOUR, sessionId: 'sess-1', sessionUntil: LESSON + 30 * MINUTE };

describe('sanction set', () => {
  it('returns the very same person object for people not under a sanction, so deciding allocates nothing for them (8.2)', () => {
    const set = setOf({ 'arlo.puddingstone': sanctioned });
    const other: Person = { id: 'nancy.tumbledown', role: 'pupil', groups: ['class-5m'] };
    const nobody: Person = { role: 'guest' };
    assert.equal(set.apply(other, LESSON), other);
    assert.equal(set.apply(nobody, LESSON), nobody);
    assert.equal(new SanctionSet().apply(other, LESSON), other);
    assert.equal(other.supervisedOnly, undefined);
  });

  it('marks a sanctioned pupil supervised-only on a copy, leaving the identified person untouched (8.2)', () => {
    const set = setOf({ 'arlo.puddingstone': sanctioned });
    const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['class-4n'] };
    const seen = set.apply(arlo, LESSON);
    assert.notEqual(seen, arlo);
    assert.deepEqual(seen, { ...arlo, supervisedOnly: true, supervised: false });
    assert.equal(arlo.supervisedOnly, undefined);
    assert.equal(set.state('arlo.puddingstone', LESSON), 'supervised-only');
  });

  it('marks a pupil in an open supervised session as supervised until the session ends (8.2)', () => {
    const set = setOf({ 'arlo.puddingstone': inSession });
    const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil' };
    assert.deepEqual(set.apply(arlo, LESSON), { ...arlo, supervisedOnly: true, supervised: true });
    assert.equal(set.state('arlo.puddingstone', LESSON + 30 * MINUTE - 1), 'supervised');
    assert.deepEqual(set.apply(arlo, LESSON + 30 * MINUTE), { ...arlo, supervisedOnly: true, supervised: false });
  });

  it('stops applying a sanction at its end even before the set is rebuilt (8.2)', () => {
    const set = setOf({ 'arlo.puddingstone': sanctioned });
    const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil' };
    assert.equal(set.apply(arlo, LESSON + 2 * HOUR), arlo);
    assert.equal(set.state('arlo.puddingstone', LESSON + 2 * HOUR), 'none');
  });

  it('returns a person already marked as the set would mark them without copying (8.2)', () => {
    const set = setOf({ 'arlo.puddingstone': sanctioned });
    const marked: Person = { id: 'arlo.puddingstone', role: 'pupil', supervisedOnly: true, supervised: false };
    assert.equal(set.apply(marked, LESSON), marked);
  });

  it('names the next end of a sanction or session after now, for the expiry timer', () => {
    const set = setOf({ a: sanctioned, b: inSession });
    assert.equal(set.nextChange(LESSON), LESSON + 30 * MINUTE);
    assert.equal(set.nextChange(LESSON + 30 * MINUTE), LESSON + 2 * HOUR);
    assert.equal(set.nextChange(LESSON + 2 * HOUR), null);
  });
});

describe('attempt kinds', () => {
  const engine = testEngine();
  const pupil: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['class-4n'] };
  const kindOf = (url: string, point: 'proxy' | 'dns' = 'proxy') => {
    const d = engine.decide({ person: pupil, url, at: LESSON });
    return attemptKind({ host: d.host, categories: d.categories, point, action: d.action });
  };

  it('calls an address written as a number an IP literal, and VPN and proxy sites by their category (8.2)', () => {
    assert.equal(kindOf('http://192.0.2.10/'), 'ip-literal');
    assert.equal(kindOf('http://[2001:db8::10]/'), 'ip-literal');
    assert.equal(kindOf('vpn.example'), 'vpn');
    assert.equal(kindOf('https://proxy.example/browse', 'dns'), 'proxy');
  });

  it('calls a circumvention the proxy flagged on an allowed host an SNI mismatch (8.2)', () => {
    assert.equal(attemptKind({ host: 'a.example', categories: [], point: 'proxy', action: 'allow' }), 'sni-mismatch');
    assert.equal(attemptKind({ host: 'b.example', categories: ['doh'], point: 'dns', action: 'block' }), 'doh');
  });
});
