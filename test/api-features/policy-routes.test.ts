// The policy page's API: rules beside their clauses, the simulator on the engine in force (with
// overrides), and edits of the school layer that are linted first, audited with their reason and
// reloaded so the next decision follows them (issue 4 §4, Policy).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { policyRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { featureFixture, HOUR, LESSON, type FeatureFixture } from './feature-fixture.ts';

describe('policy routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;
  let original = '';

  before(async () => {
    f = await featureFixture();
    api = await routeHarness(policyRoutes(f.deps));
    original = readFileSync(f.schoolFile, 'utf8');
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const manager = () => f.account('olive.stonechat', 'network-manager');
  const teacher = () => f.account('desmond.nightingale', 'teacher', ['class-4n']);
  const simulate = (body: Record<string, unknown>, as = teacher()) => api.json({ method: 'POST', url: '/api/policy/simulate', as, body });

  describe('reading', () => {
    it('renders every rule with its clauses, and the clauses with their text', async () => {
      const { status, body } = await api.json({ method: 'GET', url: '/api/policy', as: f.account('rupert.thornbury', 'governor') });
      assert.equal(status, 200);
      const rule = body.rules.find((r: { id: string }) => r.id === 'pupil-social-media');
      assert.deepEqual(rule.clauses, ['8.1', '3.1', '7.1']);
      assert.equal(rule.layer, 'tibberton-st-lawrence');
      assert.equal(rule.editable, true);
      const clause = body.clauses.find((c: { id: string }) => c.id === '8.1');
      assert.match(clause.text, /Social networking and forums blocked for pupils/);
      const legal = body.rules.find((r: { id: string }) => r.id === 'council-legal-lists');
      assert.deepEqual([legal.legal, legal.editable], [true, false]);
      const council = body.layers.find((l: { kind: string }) => l.kind === 'council');
      assert.equal(council.editable, false);
      assert.ok(council.lockedRules.includes('council-malware-phishing'));
      assert.ok(body.windows.some((w: { id: string }) => w.id === 'lessons'));
      assert.ok(body.monitoringPurposes.some((p: { id: string }) => p.id === 'crime'));
    });
  });

  describe('simulating', () => {
    it('tells what Year 4 would see at 10:15 on a Tuesday, citing the clauses (8.1)', async () => {
      const { status, body } = await simulate({ url: 'https://social.example/', at: '2026-11-24T10:15', role: 'pupil', groups: ['year-4'] });
      assert.equal(status, 200);
      assert.equal(body.decision.action, 'block');
      assert.equal(body.decision.rule, 'pupil-social-media');
      assert.deepEqual(body.decision.clauses, ['8.1', '3.1', '7.1']);
      assert.match(body.decision.explanation, /^Blocked by the school rule `pupil-social-media` \(clauses 8\.1, 3\.1 and 7\.1\): /);
      assert.match(body.decision.explanation, /Tuesday 2026-11-24 10:15/);
      assert.equal(body.at, LESSON);
    });

    it('uses a named person from the people store, with their age from the roster (7.7)', async () => {
      const { body } = await simulate({ url: 'https://grown-up.example/', at: LESSON, person: 'Arlo.Puddingstone' });
      assert.equal(body.person.id, 'arlo.puddingstone');
      assert.deepEqual(body.person.groups, ['year-4', 'class-4n']);
      assert.equal(body.person.age, 9);
      assert.equal(body.decision.kind, 'block.minimum-age');
    });

    it("a teacher may simulate a pupil of their class by name, but not another class's pupil", async () => {
      const own = await simulate({ url: 'https://news.example/', person: 'florence.oakhollow' });
      assert.equal(own.status, 200);
      const other = await simulate({ url: 'https://news.example/', person: 'nancy.tumbledown' });
      assert.deepEqual([other.status, other.body.error.code], [403, 'HR_API_FORBIDDEN']);
      assert.ok(!JSON.stringify(other.body).includes('year-5'));
    });

    it('includes the overrides in force, so a class grant shows as allowed (7.1)', async () => {
      const grant = await f.deps.overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 60, reason: 'class blog project' }, 'desmond.nightingale');
      try {
        const { body } = await simulate({ url: 'https://social.example/', role: 'pupil', groups: ['class-4n'] });
        assert.equal(body.decision.action, 'allow');
        assert.equal(body.decision.grant, grant.id);
        assert.match(body.decision.explanation, new RegExp(`^Allowed by the override \`${grant.id}\``));
        const other = await simulate({ url: 'https://social.example/', role: 'pupil', groups: ['class-5m'] });
        assert.equal(other.body.decision.action, 'block');
      } finally {
        await f.deps.overrides.revoke(grant.id, 'desmond.nightingale', 'lesson over');
      }
    });

    it('refuses a time it cannot read, an unknown role and an unknown person, naming the field', async () => {
      const time = await simulate({ url: 'https://news.example/', at: 'next tuesday', role: 'pupil' });
      assert.deepEqual([time.status, time.body.error.problems[0].field], [400, 'at']);
      const role = await simulate({ url: 'https://news.example/', role: 'wizard' });
      assert.deepEqual([role.status, role.body.error.problems[0].field], [400, 'role']);
      const person = await simulate({ url: 'https://news.example/', person: 'nobody.here' });
      assert.equal(person.status, 404);
    });
  });

  describe('editing', () => {
    beforeEach(() => {
      assert.equal(readFileSync(f.schoolFile, 'utf8'), original, 'each edit test starts from the reference school layer');
    });

    it('adds a site to a school rule: one line changes, the comments stay, the engine follows at once, the change is audited', async () => {
      const pupil = { url: 'https://social.example/', role: 'pupil', groups: ['year-4'] };
      assert.equal((await simulate(pupil)).body.decision.action, 'block');
      const reloads = f.reloads;
      const { status, body } = await api.json({ method: 'PATCH', url: '/api/policy/rules/pupil-wikispaces', as: manager(), body: { sites: { add: ['https://social.example/class-page'] }, reason: 'the class blog lives here' } });
      assert.equal(status, 200);
      assert.equal(body.changed, true);
      assert.deepEqual(body.rule.what.sites, ['wikispaces.com', 'social.example']);
      assert.equal(f.reloads, reloads + 1);
      assert.equal((await simulate(pupil)).body.decision.action, 'allow');

      const now = readFileSync(f.schoolFile, 'utf8');
      const changed = now.split('\n').filter((line, i) => line !== original.split('\n')[i]);
      assert.deepEqual(changed, ['    what: { sites: [wikispaces.com, social.example] }']);
      assert.ok(now.startsWith('# Tibberton CE Primary School'), 'the header comment is kept');

      const entry = (await f.deps.audit.entries({ limit: 1000 })).at(-1)!;
      assert.equal(entry.actor, 'olive.stonechat');
      assert.equal(entry.action, 'policy.rule.change');
      assert.equal(entry.subject, 'policy-rule:pupil-wikispaces');
      assert.deepEqual((entry.before as { what: unknown }).what, { sites: ['wikispaces.com'] });
      assert.deepEqual((entry.after as { what: unknown }).what, { sites: ['wikispaces.com', 'social.example'] });
      assert.equal(entry.reason, 'the class blog lives here');

      const back = await api.json({ method: 'PATCH', url: '/api/policy/rules/pupil-wikispaces', as: manager(), body: { sites: { remove: ['social.example'] }, reason: 'blog moved' } });
      assert.equal(back.status, 200);
      assert.equal(readFileSync(f.schoolFile, 'utf8'), original);
    });

    it("refuses to edit a council rule, explaining whose it is, and leaves the file alone", async () => {
      const auditBefore = (await f.deps.audit.entries({ limit: 1000 })).length;
      const { status, body } = await api.json({ method: 'PATCH', url: '/api/policy/rules/council-unacceptable-categories', as: manager(), body: { action: 'allow', reason: 'try' } });
      assert.equal(status, 409);
      assert.equal(body.error.code, 'HR_POLICY_EDIT_LAYER');
      assert.match(body.error.message, /belongs to the council layer `telford-council`/);
      assert.equal((await f.deps.audit.entries({ limit: 1000 })).length, auditBefore);
    });

    it("refuses a new rule the linter rejects with 422 and the linter's lines; nothing is written", async () => {
      const reloads = f.reloads;
      const { status, body } = await api.json({
        method: 'POST',
        url: '/api/policy/rules',
        as: manager(),
        body: { rule: { id: 'pupil-games', clauses: ['99.9'], who: { roles: ['pupils'] }, what: { categories: ['games'] }, action: 'block', reason: 'No games.' }, reason: 'games in lessons' },
      });
      assert.equal(status, 422);
      assert.equal(body.error.code, 'HR_POLICY_EDIT_LINT');
      const lines = (body.error.problems as Array<{ field: string; message: string }>).map((p) => p.message);
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, /school\.yaml:\d+:\d+: rules\[\d+\]\.clauses\[0\]: unknown clause `99\.9`.*\[HR_POLICY_REFERENCE\]$/);
      assert.match(lines[1]!, /unknown role `pupils`/);
      assert.equal(f.reloads, reloads);
    });

    it('adds a school rule and deletes it again, each audited and taking effect', async () => {
      const games = { url: 'https://games.example/', role: 'pupil', groups: ['year-6'] };
      assert.equal((await simulate(games)).body.decision.action, 'allow');
      const added = await api.json({
        method: 'POST',
        url: '/api/policy/rules',
        as: manager(),
        body: { rule: { id: 'pupil-games', clauses: ['5.1'], who: { roles: ['pupil'] }, when: ['lessons'], what: { categories: ['games'] }, action: 'block', reason: 'Games are not for lesson time.' }, reason: 'games in lessons' },
      });
      assert.equal(added.status, 201);
      assert.equal((await simulate(games)).body.decision.rule, 'pupil-games');
      assert.match(readFileSync(f.schoolFile, 'utf8'), /  - id: pupil-games\n    clauses: \["5\.1"\]\n    who: \{ roles: \[pupil\] \}\n    when: \[lessons\]\n/);

      const removed = await api.json({ method: 'DELETE', url: '/api/policy/rules/pupil-games', as: manager(), body: { reason: 'trial over' } });
      assert.equal(removed.status, 200);
      assert.equal(removed.body.rule, null);
      assert.equal((await simulate(games)).body.decision.action, 'allow');
      const [add, del] = (await f.deps.audit.entries({ limit: 1000 })).slice(-2);
      assert.deepEqual([add!.action, add!.before, del!.action, del!.after], ['policy.rule.add', null, 'policy.rule.delete', null]);
      assert.equal(readFileSync(f.schoolFile, 'utf8'), original);
    });

    it('an edit needs a reason, and something to change', async () => {
      const noReason = await api.json({ method: 'PATCH', url: '/api/policy/rules/pupil-wikispaces', as: manager(), body: { action: 'warn' } });
      assert.deepEqual([noReason.status, noReason.body.error.problems[0].field], [400, 'body.reason']);
      const nothing = await api.json({ method: 'PATCH', url: '/api/policy/rules/pupil-wikispaces', as: manager(), body: { reason: 'tidy' } });
      assert.equal(nothing.status, 400);
      assert.equal(nothing.body.error.code, 'HR_POLICY_EDIT_INPUT');
    });

    it('a teacher may simulate but not edit', async () => {
      const { status } = await api.json({ method: 'PATCH', url: '/api/policy/rules/pupil-wikispaces', as: teacher(), body: { action: 'block', reason: 'x' } });
      assert.equal(status, 403);
    });
  });

  it('the simulator answers for any time, read in the school zone (GMT in November)', async () => {
    const { body } = await simulate({ url: 'https://news.example/', at: '2026-11-24T19:00', role: 'teacher' });
    assert.equal(body.at, LESSON + 8 * HOUR + 45 * 60_000);
  });
});
