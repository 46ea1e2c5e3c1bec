// A site reported as inappropriate (6.14, 8.3) and closed as "block it": the site is added to the
// school layer's `reported-sites` rule on disk (linted, written whole), the edit is audited, the
// policy is reloaded and the engine blocks the site for everyone at once.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Asker } from '../../src/cases/index.ts';
import type { PolicyEngine } from '../../src/engine/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { actor, Databases, personOf, referenceSchool, testEngine, type Harness } from './fixture.ts';

const nancy: Asker = { person: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], clientIp: null };
const teacher: Asker = { person: 'eleanor.mossbank', role: 'teacher', groups: ['class-5m'], clientIp: null };

describe('closing a site report by blocking the site', () => {
  const dbs = new Databases('sqlite');
  let dir = '';
  before(() => dbs.start());
  after(async () => {
    await dbs.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The reference policy copied to a folder of its own, with an engine reloaded from it on demand. */
  async function withPolicyCopy(edit?: (text: string) => string): Promise<{ h: Harness; school: string; engine: () => PolicyEngine }> {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-site-report-'));
    for (const name of ['council.yaml', 'school.yaml']) copyFileSync(join(dirname(referenceSchool), name), join(dir, name));
    const school = join(dir, 'school.yaml');
    if (edit) writeFileSync(school, edit(readFileSync(school, 'utf8')));
    const load = () => {
      const { policy, problems } = loadPolicy(school);
      assert.ok(policy, problems.map((p) => p.message).join('; '));
      return testEngine(policy);
    };
    let current = load();
    let reloads = 0;
    const h = await dbs.fresh({
      engine: current,
      schoolPolicy: {
        file: () => school,
        reload: () => {
          reloads += 1;
          current = load();
          return { ok: true, problems: [], revision: `r${reloads}` };
        },
      },
    });
    return { h, school, engine: () => current };
  }

  it('adds the site to the school block list, audited, and the engine blocks it at once for pupils and staff (8.3)', async () => {
    const { h, school, engine } = await withPolicyCopy();
    const url = 'http://quiz.games.example/nasty';
    assert.equal(engine().decide({ person: personOf('eleanor.mossbank'), url, at: h.clock.now }).action, 'allow');
    const { report } = await h.workflow.reports.create({ kind: 'site-report', asker: nancy, source: 'dashboard', url, host: 'quiz.games.example', message: 'rude pictures on this quiz' }, 'nancy.tumbledown');
    assert.deepEqual(report.routedTo.roles, ['head-of-school', 'headteacher']);
    assert.deepEqual(report.clauses, ['6.14', '8.3']);
    const { report: closed, block } = await h.workflow.reports.close(report.id, { outcome: 'site-blocked', note: 'confirmed; blocked for everyone' }, actor('katherine.rookwood'));
    assert.equal(closed.closed?.blockedSite, 'quiz.games.example');
    assert.deepEqual(block, { changed: true, rule: 'reported-sites', revision: 'r1', reload: { ok: true, problems: [] } });
    assert.match(readFileSync(school, 'utf8'), /what: \{ sites: \[quiz\.games\.example\] \}/);
    for (const who of ['eleanor.mossbank', 'nancy.tumbledown', 'marjorie.wychwood']) {
      const decision = engine().decide({ person: personOf(who), url, at: h.clock.now });
      assert.deepEqual([decision.action, decision.rule], ['block', 'reported-sites'], who);
      assert.deepEqual(decision.clauses, ['6.14', '8.3']);
    }
    const entries = await h.audit.entries();
    assert.deepEqual(
      entries.map((e) => [e.actor, e.action, e.subject]),
      [
        ['nancy.tumbledown', 'report.create', `report:${report.id}`],
        ['katherine.rookwood', 'policy.rule.change', 'policy-rule:reported-sites'],
        ['katherine.rookwood', 'report.close', `report:${report.id}`],
      ],
    );
    assert.match(entries[1]!.reason ?? '', new RegExp(`site report ${report.id}`));
    const [entry] = await h.workflow.register({ type: 'site-report' });
    assert.deepEqual([entry?.host, entry?.decision, entry?.decidedBy, entry?.scope], ['quiz.games.example', 'site-blocked', 'katherine.rookwood', 'everyone']);
  });

  it('adds the block rule to the school file when it is missing', async () => {
    const { h, school, engine } = await withPolicyCopy((text) => text.replace(/\n  # Sites reported as inappropriate[\s\S]*?reason: This site was reported as inappropriate and the school has blocked it\.\n/, '\n'));
    assert.doesNotMatch(readFileSync(school, 'utf8'), /reported-sites\n/);
    const { report } = await h.workflow.reports.create({ kind: 'site-report', asker: teacher, source: 'dashboard', url: 'https://games.example/', host: 'games.example', message: 'violent game' }, 'eleanor.mossbank');
    await h.workflow.reports.close(report.id, { outcome: 'site-blocked', note: 'blocked' }, actor('marjorie.wychwood'));
    assert.match(readFileSync(school, 'utf8'), /- id: reported-sites/);
    assert.equal(engine().decide({ person: personOf('marjorie.wychwood'), url: 'https://games.example/', at: h.clock.now }).rule, 'reported-sites');
    assert.equal((await h.audit.entries()).find((e) => e.subject === 'policy-rule:reported-sites')?.action, 'policy.rule.add');
  });

  it('is refused for someone the report was not routed to, and leaves the file alone', async () => {
    const { h, school } = await withPolicyCopy();
    const before = readFileSync(school, 'utf8');
    const { report } = await h.workflow.reports.create({ kind: 'site-report', asker: nancy, source: 'dashboard', url: 'https://games.example/', host: 'games.example', message: '' }, 'nancy.tumbledown');
    await assert.rejects(h.workflow.reports.close(report.id, { outcome: 'site-blocked', note: 'block' }, actor('desmond.nightingale')), (e: Error & { code?: string }) => e.code === 'HR_REQUESTS_NOT_FOUND');
    assert.equal(readFileSync(school, 'utf8'), before);
  });
});
