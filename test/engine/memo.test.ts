// The engine works out rule plans per (role, open windows) and category verdicts per set of
// matching rules once, then reuses them. These tests check that what it keeps can never change an
// answer: a decision is the same whatever was asked before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { CatalogueBuilder, type Catalogue } from '../../src/catalog/index.ts';
import { PolicyEngine, compileGrants, type Decision, type Person } from '../../src/engine/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hedgerow-memo-'));
writeFileSync(
  join(dir, 'council.yaml'),
  `hedgerow: 1
layer: council
id: c
name: Council
roles:
  pupil: {}
  guest: { sameAs: pupil }
  teacher: { staff: true }
  technician: { staff: true }
roleSets:
  staff: [teacher, technician]
categories:
  video: {}
  social: {}
  chat: {}
  social-media: { includes: [social, chat] }
  malware: {}
  legal: { from: [custom/iwf] }
  games: {}
  proxy: {}
sites:
  facts.example: { minimumAge: 16 }
  kids.facts.example: { minimumAge: 8, categories: [games] }
rules:
  - id: c-legal
    legal: true
    clauses: [law]
    what: { categories: [legal] }
    action: block
    reason: Legal list.
  - id: c-malware
    lock: true
    what: { categories: [malware] }
    action: block
    reason: Malware.
  - id: c-downloads
    lock: true
    who: { exceptRoles: [technician] }
    what: { fileTypes: [exe, msi] }
    action: block
    reason: No programs.
  - id: c-video
    clauses: [council-video]
    what: { categories: [video] }
    action: block
    reason: Council blocks video.
  - id: c-games-log
    what: { categories: [games] }
    action: log
    reason: Games are logged.
`,
);
writeFileSync(
  join(dir, 'school.yaml'),
  `hedgerow: 1
layer: school
id: s
name: School
extends: council.yaml
groups:
  year-5: { role: pupil }
  year-6: { role: pupil }
  class-6s: { within: year-6 }
calendar:
  timeZone: Europe/London
  terms: [{ name: Autumn, start: 2026-09-02, end: 2026-12-18 }]
  windows:
    lessons: { times: ["09:00-12:00"] }
    lunch: { times: ["12:00-13:00"] }
    outside-lessons: { complementOf: lessons }
rules:
  - id: s-video-site-staff
    clauses: ["8.1"]
    who: { roles: [staff] }
    when: [outside-lessons]
    what: { sites: [video.example, facts.example] }
    action: allow
    reason: Staff may use these sites outside lessons.
  - id: s-video-site-year6
    who: { groups: [year-6] }
    what: { sites: [sub.video.example] }
    action: warn
    reason: Year 6 may ask to use this one.
  - id: s-social-pupils
    clauses: ["8.1", "3.1"]
    who: { roles: [pupil] }
    what: { categories: [social-media] }
    action: block
    reason: Social media is blocked for pupils.
  - id: s-social-staff-lessons
    clauses: ["6.1"]
    who: { roles: [staff] }
    when: [lessons]
    what: { categories: [social-media] }
    action: warn
    reason: Not in lessons.
  - id: s-social-staff-outside
    clauses: ["6.2"]
    who: { roles: [staff] }
    when: [outside-lessons]
    what: { categories: [social-media] }
    action: allow
    reason: Outside lessons.
  - id: s-year6-games
    who: { groups: [year-6] }
    what: { categories: [games] }
    action: block
    reason: Year 6 may not play games.
  - id: s-older-pupils-video
    who: { roles: [pupil], minAge: 11 }
    when: [lunch]
    what: { categories: [video] }
    action: warn
    reason: Older pupils at lunch.
  - id: s-proxies
    who: { roles: [pupil] }
    what: { categories: [proxy] }
    action: block
    circumvention: true
    reason: Proxies get round the filter.
  - id: s-ip
    who: { roles: [pupil] }
    what: { ipLiteral: true }
    action: block
    circumvention: true
    reason: Numbers are a way round the filter.
  - id: s-age
    who: { roles: [pupil] }
    what: { belowMinimumAge: true }
    action: block
    reason: Too young.
`,
);

const { policy, problems } = loadPolicy(join(dir, 'school.yaml'));
assert.deepEqual(problems, []);

function catalogue(): Catalogue {
  const b = new CatalogueBuilder();
  b.add('video.example', ['hedgerow/video'], 'test');
  b.add('social.example', ['hedgerow/social'], 'test');
  b.add('chat.example', ['hedgerow/chat'], 'test');
  b.add('clip.example', ['hedgerow/video', 'hedgerow/social'], 'test');
  b.add('legal.example', ['custom/iwf'], 'iwf');
  b.add('bad.video.example', ['hedgerow/malware'], 'test');
  b.add('games.example', ['hedgerow/games'], 'test');
  b.add('proxy.example', ['hedgerow/proxy', 'hedgerow/games'], 'test');
  b.add('facts.example', ['hedgerow/social'], 'test');
  b.add('192.0.2.10', ['hedgerow/malware'], 'test');
  b.addSiteFact('grown-up.example', { minimumAge: 13 });
  return b.build();
}

const people: Person[] = [
  { role: 'pupil', age: 9, groups: ['class-6s'] },
  { role: 'pupil', age: 12, groups: ['year-5'] },
  { role: 'pupil' },
  { role: 'guest' },
  { role: 'teacher' },
  { role: 'technician' },
  { role: 'wizard' },
  { role: 'pupil', age: 10, supervisedOnly: true },
];
const hosts = [
  'video.example',
  'sub.video.example',
  'www.sub.video.example',
  'social.example',
  'm.chat.example',
  'clip.example',
  'legal.example',
  'bad.video.example',
  'games.example',
  'proxy.example',
  'facts.example',
  'kids.facts.example',
  'a.kids.facts.example',
  'grown-up.example',
  'unlisted.example',
  '192.0.2.10',
  '0xc0.0.2.10',
];
const paths = ['/', '/setup.exe', '/a/b.MSI', '/watch?v=1', '/x%2Eexe'];
const times = [
  Date.parse('2026-11-24T10:00:00Z'), // lessons
  Date.parse('2026-11-24T12:30:00Z'), // lunch, outside lessons
  Date.parse('2026-11-24T19:00:00Z'), // evening
  Date.parse('2026-11-28T10:00:00Z'), // Saturday
  Number.NaN,
];
const grants = compileGrants([
  { id: 'g1', kind: 'curriculum', scope: { groups: ['year-6'] }, what: { sites: ['social.example'] }, from: times[0]! - 1, until: times[0]! + 3_600_000, reason: 'Lesson' },
]);

interface Ask {
  person: Person;
  url: string;
  at: number;
  withGrants: boolean;
}
const ask = fc.record({
  person: fc.constantFrom(...people),
  url: fc.tuple(fc.constantFrom('https://', 'http://', ''), fc.constantFrom(...hosts), fc.constantFrom(...paths)).map(([s, h, p]) => `${s}${h}${p}`),
  at: fc.constantFrom(...times),
  withGrants: fc.boolean(),
});

function decide(engine: PolicyEngine, q: Ask): Decision {
  return engine.decide({ person: q.person, url: q.url, at: q.at, grants: q.withGrants ? grants : undefined });
}

test('a decision is the same whatever the engine was asked before it', () => {
  const fresh = (q: Ask) => JSON.stringify(decide(new PolicyEngine({ policy: policy as ResolvedPolicy, catalogue: shared }), q));
  const shared = catalogue();
  fc.assert(
    fc.property(fc.array(ask, { minLength: 1, maxLength: 40 }), (asks) => {
      // one engine asked everything in turn, so it reuses what it worked out for earlier questions
      const engine = new PolicyEngine({ policy: policy as ResolvedPolicy, catalogue: shared });
      for (const q of asks) assert.equal(JSON.stringify(decide(engine, q)), fresh(q), `${q.person.role} ${q.url} ${q.at}`);
    }),
    { numRuns: 150 },
  );
});

test('the same rules matching give the same clauses, reason and beaten rules for any host', () => {
  const engine = new PolicyEngine({ policy: policy as ResolvedPolicy, catalogue: catalogue() });
  const teacher: Person = { role: 'teacher' };
  const evening = times[2]!;
  // clip.example is video and social: the council block beats the school's outside-lessons allow
  const first = engine.decide({ person: teacher, url: 'https://clip.example/', at: evening });
  assert.equal(first.rule, 'c-video');
  assert.deepEqual(first.supersedes, [{ rule: 's-social-staff-outside', layer: 'school', action: 'allow' }]);
  const again = engine.decide({ person: teacher, url: 'https://www.clip.example/', at: evening });
  assert.equal(again.reason, first.reason);
  assert.deepEqual(again.supersedes, first.supersedes);
  assert.equal(again.host, 'www.clip.example');
  assert.deepEqual(again.match, { entry: 'clip.example', lists: ['test'], sourceCategories: ['hedgerow/video', 'hedgerow/social'] });
  // pupils: two block rules agree, so both their clauses are listed (nearest layer first)
  const pupil = engine.decide({ person: people[0]!, url: 'https://clip.example/', at: evening });
  assert.equal(pupil.rule, 's-social-pupils');
  assert.deepEqual(pupil.clauses, ['8.1', '3.1', 'council-video']);
  assert.ok(Object.isFrozen(pupil.clauses));
});

test('a policy site can carry both a fact and a rule, and facts of nested sites both count', () => {
  const engine = new PolicyEngine({ policy: policy as ResolvedPolicy, catalogue: catalogue() });
  const evening = times[2]!;
  // facts.example: minimum age 16 from the policy, and a staff site rule outside lessons
  const staff = engine.decide({ person: { role: 'teacher' }, url: 'https://facts.example/', at: evening });
  assert.equal(staff.rule, 's-video-site-staff');
  const young = engine.decide({ person: { role: 'pupil', age: 12 }, url: 'https://facts.example/', at: evening });
  assert.equal(young.rule, 's-social-pupils');
  assert.deepEqual(young.clauses, ['8.1', '3.1']);
  assert.equal(young.match?.minimumAge, 16);
  // a.kids.facts.example: the facts of kids.facts.example (games, age 8) and of facts.example
  // (age 16) both apply; the higher age stands
  const kid = engine.decide({ person: { role: 'pupil', age: 9, groups: ['year-5'] }, url: 'https://a.kids.facts.example/', at: evening });
  assert.equal(kid.rule, 's-social-pupils');
  assert.deepEqual(kid.categories, ['social', 'social-media', 'games']);
  assert.equal(kid.match?.entry, 'facts.example');
  assert.equal(kid.match?.minimumAge, 16);
});
