// Safeguarding keyword lists against search terms: case, accents, punctuation and look-alike
// spellings do not hide a term; words that merely contain a term (Scunthorpe) do not match; lists
// in several languages; and which events raise which alerts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertTriggers, compileAlerts, KeywordMatcher, normaliseSearchText } from '../../src/cases/index.ts';
import type { AlertsSection } from '../../src/policy/index.ts';
import { referencePolicy } from '../notify/fixture.ts';
import { desmond, eventFor, guest, mabel } from './alert-fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');

const matcher = new KeywordMatcher([
  { id: 'self-harm', title: 'Self-harm and suicide', terms: { en: ['kill myself', 'want to die'], pl: ['zabić się', 'chcę umrzeć'], cy: ['lladd fy hun'] } },
  { id: 'bullying', title: 'Bullying', terms: { en: ['kill yourself', 'nobody likes you'] } },
  { id: 'words', title: 'Words inside other words', terms: { en: ['cunt', 'sex', 'butt'] } },
  { id: 'no-spaces', title: 'A script without spaces', terms: { zh: ['自杀'] } },
]);

const lists = (search: string) => matcher.match(search).map((m) => m.list);

describe('keyword matching', () => {
  it('matches an English phrase whatever its case, punctuation and spacing, and keeps what matched', () => {
    for (const search of ['how do i kill myself', 'How to KILL MYSELF?', 'kill-myself', '"kill myself"', 'kill   myself', 'killmyself']) {
      assert.deepEqual(lists(search), ['self-harm'], search);
    }
    assert.deepEqual(matcher.match('Why do I want to die'), [{ list: 'self-harm', term: 'want to die', language: 'en', matched: 'want to die' }]);
  });

  it('matches Polish and Welsh terms with or without their accents', () => {
    assert.deepEqual(matcher.match('jak zabić się szybko'), [{ list: 'self-harm', term: 'zabić się', language: 'pl', matched: 'zabic sie' }]);
    assert.deepEqual(lists('ZABIC SIE'), ['self-harm'], 'typed without Polish letters');
    assert.deepEqual(lists('Chcę umrzeć'), ['self-harm']);
    assert.deepEqual(matcher.match('sut i lladd fy hun'), [{ list: 'self-harm', term: 'lladd fy hun', language: 'cy', matched: 'lladd fy hun' }]);
  });

  it('reads look-alike digits and symbols and stretched letters as the letters they stand for', () => {
    assert.deepEqual(matcher.match('k1ll my$elf'), [{ list: 'self-harm', term: 'kill myself', language: 'en', matched: 'k1ll my$elf' }]);
    assert.deepEqual(lists('w4nt t0 d1e'), ['self-harm']);
    assert.deepEqual(lists('kiiiiill myseeelf'), ['self-harm']);
    assert.deepEqual(lists('n0b0dy l1kes y0u'), ['bullying']);
  });

  it('does not match a term inside a longer word: Scunthorpe, Essex and skill stay quiet', () => {
    assert.deepEqual(lists('Scunthorpe United fixtures'), []);
    assert.deepEqual(lists('Sussex and Essex'), []);
    assert.deepEqual(lists('skill myself up for the exam'), []);
    assert.deepEqual(lists('but why'), [], 'a doubled letter never shrinks: butt is not but');
    assert.deepEqual(lists('sex education year 6'), ['words'], 'the whole word still matches');
  });

  it('reports every list a search matches, and matches scripts written without spaces anywhere in the text', () => {
    assert.deepEqual(lists('i want to die, kill yourself they said'), ['self-harm', 'bullying']);
    assert.deepEqual(lists('我想自杀了'), ['no-spaces']);
  });

  it('normalises compatibility forms, accents and letters Unicode does not decompose', () => {
    assert.equal(normaliseSearchText('Ｋｉｌｌ  Straße — Ørsted’s café!'), 'kill strasse orsted s cafe!');
  });
});

describe('what raises an alert', () => {
  const policy = referencePolicy();
  const compiled = compileAlerts(policy.workflows.alerts!);

  it('a blocked attempt in an alert category raises a category alert; the same site allowed does not', () => {
    const blocked = eventFor(mabel, 'http://harm.example/', T0);
    assert.equal(blocked.action, 'block');
    assert.deepEqual(alertTriggers(compiled, blocked).map((h) => [h.kind, h.subject]), [['category', 'self-harm']]);
    const allowed = { ...blocked, action: 'allow' as const };
    assert.deepEqual(alertTriggers(compiled, allowed), []);
    const widened = compileAlerts({ ...policy.workflows.alerts!, actions: ['block', 'warn', 'allow'] } as AlertsSection);
    assert.deepEqual(alertTriggers(widened, allowed).map((h) => h.kind), ['category'], 'a policy may ask to hear of allowed visits too');
  });

  it('a block by the legal must-block rule is a rule alert, for any role', () => {
    const event = eventFor(desmond, 'http://legal.example/', T0);
    assert.equal(event.rule, 'council-legal-lists');
    assert.deepEqual(alertTriggers(compiled, event).map((h) => [h.kind, h.subject]), [['rule', 'council-legal-lists']]);
  });

  it('a search matching a keyword list alerts even when the search itself was allowed', () => {
    const event = eventFor(mabel, 'https://search.example/?q=k1ll+myself', T0, { searchTerm: 'how to k1ll myself' });
    assert.equal(event.action, 'allow');
    const hits = alertTriggers(compiled, event);
    assert.deepEqual(hits.map((h) => [h.kind, h.subject, h.match?.matched]), [['keyword', 'self-harm', 'k1ll myself']]);
  });

  it('ordinary browsing and ordinary blocks raise nothing', () => {
    assert.deepEqual(alertTriggers(compiled, eventFor(mabel, 'http://social.example/', T0)), [], 'blocked social networking is not a safeguarding alert');
    assert.deepEqual(alertTriggers(compiled, eventFor(guest, 'https://search.example/?q=scunthorpe', T0, { searchTerm: 'scunthorpe united' })), []);
  });
});
