// The governors' report PDF, read back: its pages turned into images (pdftoppm) must be A4 and
// not blank; its text (unpdf) must carry the headings, the cover facts and the figures, name no
// pupil (the decision log behind it is full of them) and show no child-related count below the
// threshold.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteActivityStore, type ActivityStore } from '../../src/activity/index.ts';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { buildGovernorsReport, chooseTerm, decisionLogBlocks, renderGovernorsPdf, type GovernorsReportData } from '../../src/reporting/index.ts';
import { databasePath, SqliteEventStore } from '../../src/store/index.ts';
import { madeSources, pdfPages, pdfTextPages, pdfTitle, referencePolicy, rosterPupils } from './fixtures.ts';

const policy = referencePolicy();
const NOW = Date.parse('2026-12-20T12:00:00Z');
const term = chooseTerm(policy, 'Autumn 2026', NOW);
const pupils = rosterPupils();

function pupilEvents(): DecisionEvent[] {
  const events: DecisionEvent[] = [];
  const sites = [
    { host: 'blocked.example', categories: ['social-networking'] },
    { host: 'games.blocked.example', categories: ['games'] },
    { host: 'chat.blocked.example', categories: ['chat'] },
    { host: 'harm.blocked.example', categories: ['self-harm'] },
  ];
  let n = 0;
  for (let day = 0; day < 100; day++) {
    for (let k = 0; k < 12; k++) {
      const pupil = pupils[(day * 7 + k) % pupils.length]!;
      // self-harm only twice all term: a count that must never be printed
      const site = day % 50 === 3 && k === 0 ? sites[3]! : sites[(day + k) % 3]!;
      events.push({
        v: 1,
        id: `ev-${String(n++).padStart(6, '0')}`,
        at: term.from + day * 86_400_000 + 9 * 3_600_000 + k * 60_000,
        point: 'proxy',
        person: pupil.username,
        role: 'pupil',
        groups: [(day + k) % 2 === 0 ? 'year-4' : 'year-5'],
        device: null,
        clientIp: '192.0.2.10',
        host: site.host,
        url: `http://${site.host}/?who=${encodeURIComponent(pupil.name)}`,
        categories: site.categories,
        action: 'block',
        rule: 'pupil-social-media',
        clauses: ['8.1'],
        circumvention: false,
        policyRevision: policy.revision,
        warnReason: null,
        searchTerm: pupil.name,
      });
    }
  }
  // one small group: two attempts all term
  for (const k of [0, 1]) events.push({ ...events[k]!, id: `ev-small-${k}`, groups: ['year-6'], at: events[k]!.at + 1 });
  return events;
}

/** The text between two headings (or to the end). */
function between(text: string, start: string, end: string | null): string {
  const from = text.indexOf(start);
  assert.ok(from >= 0, `the text has \`${start}\``);
  const to = end === null ? text.length : text.indexOf(end, from);
  assert.ok(to > from, `the text has \`${end}\` after \`${start}\``);
  return text.slice(from, to);
}

describe("the governors' report PDF", () => {
  let tmp = '';
  let activity: ActivityStore;
  let writer: SqliteEventStore;
  let report: GovernorsReportData;
  let pdf: Buffer;
  let pages: string[];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-governors-'));
    writer = SqliteEventStore.open(databasePath(tmp));
    writer.writeBatch(pupilEvents());
    activity = await SqliteActivityStore.open({ dataDir: tmp, foldIntervalMs: 0 });
    report = await buildGovernorsReport({ policy, term, now: NOW, sources: { blocks: decisionLogBlocks(activity), ...madeSources() } });
    pdf = await renderGovernorsPdf(report);
    pages = await pdfTextPages(pdf);
  });
  after(async () => {
    await activity?.close();
    writer?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is a PDF of A4 pages, none of them blank', () => {
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const images = pdfPages(pdf);
    assert.equal(images.length, pages.length);
    assert.ok(images.length >= 4, `${images.length} pages`);
    for (const [i, image] of images.entries()) {
      assert.ok(Math.abs(image.width / image.height - 210 / 297) < 0.01, `page ${i + 1} is A4 (${image.width}×${image.height})`);
      assert.ok(image.inked > 0.005, `page ${i + 1} has something on it (${(image.inked * 100).toFixed(2)}% inked)`);
    }
    // the chart pages carry far more ink than text alone would
    assert.ok(Math.max(...images.map((p) => p.inked)) > 0.04);
  });

  it('has its title in the metadata and page numbers on every page', async () => {
    assert.equal(await pdfTitle(pdf), `Governors' termly report: ${report.school}, Autumn 2026`);
    pages.forEach((text, i) => assert.match(text, new RegExp(`Page ${i + 1} of ${pages.length}`)));
  });

  it('has a cover with the school, the term, the date produced, the policy version and the review date', () => {
    const cover = pages[0]!;
    for (const expected of ["Governors' termly report", report.school, 'Autumn 2026', '2 September 2026 to 18 December 2026', '20 December 2026', '2020-autumn', '1 October 2021', 'the review is due']) {
      assert.ok(cover.includes(expected), `the cover says \`${expected}\``);
    }
  });

  it('has a heading for every area the governors oversee', () => {
    const text = pages.join('\n');
    for (const heading of [
      '1. Blocked attempts',
      'Blocked attempts per week',
      'Blocked attempts by category',
      'Blocked attempts by group',
      '2. Unblock requests and decisions',
      'Requests and grants by category',
      '3. Incidents',
      'Incidents by type',
      'Incidents by outcome',
      '4. Training and acknowledgement',
      '5. Filter checks',
      '6. Sanctions and alerts',
      'Safeguarding alerts',
    ]) {
      assert.ok(text.includes(heading), `the report has \`${heading}\``);
    }
  });

  it('prints the figures: blocks from the decision log, requests, incidents, training and checks', async () => {
    const text = pages.join('\n');
    const blocked = pupilEvents().length;
    assert.ok(text.includes(`Blocked attempts this term: ${blocked.toLocaleString('en-GB')}`));
    const made = madeSources();
    const period = { from: term.from, to: term.to };
    const requests = await made.requests(period);
    assert.match(text, new RegExp(`Requested: ${requests.total.requested}\\b`));
    const incidents = await made.incidents(period);
    assert.match(between(text, 'Incidents by type', 'Incidents by outcome'), new RegExp(`Conduct\\s+${incidents.byType.conduct}\\b`));
    const training = await made.compliance(period);
    const induction = training.courses.find((c) => c.id === 'induction')!;
    assert.ok(text.includes(`${induction.done} of ${induction.required} done`));
    const checks = await made.checks(period);
    assert.match(text, new RegExp(`Checks run: ${checks.runs}\\b`));
    assert.match(text, new RegExp(`Failed: ${checks.failures}\\b`));
  });

  it('names no pupil, although every blocked attempt behind it was a named pupil', () => {
    const text = pages.join('\n').toLowerCase();
    for (const pupil of pupils) {
      assert.ok(!text.includes(pupil.name.toLowerCase()), `\`${pupil.name}\` appears`);
      assert.ok(!text.includes(pupil.username.toLowerCase()), `\`${pupil.username}\` appears`);
    }
  });

  it('prints no child-related count below the threshold: small ones read "fewer than N"', () => {
    const below = report.suppressBelow;
    // after the cover, whose contents list names the sections too
    const text = pages.slice(1).join('\n');
    const small = new RegExp(`(?<![\\d.,])[1-${below - 1}](?![\\d.,])`);
    // names of groups and categories may hold digits (Year 4)
    const titles = [...report.blocks.byGroup, ...report.blocks.categories, ...report.incidents.byType, ...report.alerts.byCategory, ...report.alerts.byList].map((t) => t.title);
    const clean = (part: string) =>
      titles
        .reduce((rest, title) => rest.replaceAll(title, ''), part)
        .replace(/Page \d+ of \d+/g, '')
        .replace(/\(\d+\.\d+(-\d+\.\d+)?(, \d+\.\d+)*\)/g, '')
        .replace(/^\d\. /gm, '')
        .replaceAll(`fewer than ${below}`, '')
        .replaceAll(`<${below}`, '');
    for (const [start, end] of [
      ['3. Incidents', '4. Training'],
      ['6. Sanctions and alerts', null],
      ['Blocked attempts by group', '2. Unblock requests'],
    ] as const) {
      const part = clean(between(text, start, end));
      assert.doesNotMatch(part, small, `\`${start}\` shows a small count: ${part}`);
    }
    assert.ok(text.includes(`fewer than ${below}`));
    assert.deepEqual(report.blocks.byGroup.find((g) => g.id === 'year-6')?.count, { kind: 'fewer-than', below });
    // the self-harm category was blocked twice: it must not be readable anywhere
    const selfHarm = report.blocks.byCategory.find((c) => c.id === 'self-harm');
    if (selfHarm) assert.notEqual(selfHarm.count.kind, 'count');
  });
});

describe('PDF text the standard fonts cannot print', () => {
  it('prints a school name with letters outside the standard fonts, accents dropped, and keeps the rest', async () => {
    const policy = referencePolicy();
    const term = chooseTerm(policy, 'Autumn 2026', NOW);
    const empty = {
      blocks: async (_p: unknown, weeks: readonly unknown[]) => ({ weeks: weeks.map(() => ({ total: 0, byCategory: {} })), byGroup: {} }),
      requests: async () => ({ total: { requested: 0, approved: 0, declined: 0, decisionDays: [] }, byCategory: {}, byGroup: {} }),
      incidents: async () => ({ byType: {}, byOutcome: {} }),
      compliance: async () => ({ courses: [], acknowledgement: null }),
      checks: async () => ({ runs: 0, passes: 0, failures: 0, byTest: [] }),
      sanctions: async () => ({ imposed: 0, lifted: 0, inForce: 0 }),
      alerts: async () => ({ byCategory: {}, byList: {} }),
    };
    const report = await buildGovernorsReport({ policy, term, now: NOW, sources: empty });
    const pdf = await renderGovernorsPdf({ ...report, school: 'Ysgol Gŵyr ☃ Café' });
    const text = (await pdfTextPages(pdf)).join('\n');
    assert.ok(text.includes('Ysgol Gwyr ? Café'), text.slice(0, 300));
    assert.ok(text.includes('Nothing was blocked this term.'));
    assert.ok(text.includes('No incidents were opened this term.'));
    assert.ok(text.includes('No filter checks ran this term.'));
  });
});
