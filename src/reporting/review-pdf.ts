// The evidence pack's PDF summary for the annual review: the period, the policy's version and
// review date, the decision register in full, the filter checks by test, the overrides in force
// and the incidents summary, and the CSV files that carry every row.
import type { ResolvedPolicy } from '../policy/index.ts';
import { formatInstant, smallNumbersNote } from './governors-pdf.ts';
import { barChart, COLOURS } from './pdf-charts.ts';
import { createReportDocument, facts, finishDocument, heading, paragraph, table } from './pdf-layout.ts';
import { describeOverrideScope, describeScope, type ReviewPack } from './review-pack.ts';
import { formatShown } from './small-numbers.ts';

const day = (epochMs: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(new Date(epochMs));
const longDay = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
};

export function renderReviewPackPdf(pack: ReviewPack, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>, files: ReadonlyArray<{ name: string; rows: number }>): Promise<Buffer> {
  const zone = pack.period.timeZone;
  const periodText = `${longDay(pack.period.start)} to ${longDay(pack.period.end)}`;
  const doc = createReportDocument({
    title: `Annual review evidence pack: ${pack.school}, ${periodText}`,
    subject: 'Decision register, filter check log, overrides and incidents summary for the annual review of the e-safety policy',
    keywords: 'e-safety, annual review, decision register, filter checks, governors',
    producedAt: pack.producedAt,
  });

  doc.moveDown(3);
  heading(doc, 'Annual review evidence pack', 1);
  doc.font('Helvetica-Bold').fontSize(14).text(pack.school || 'School');
  doc.moveDown(1);
  facts(doc, [
    ['Period', periodText],
    ['Produced', formatInstant(pack.producedAt, zone)],
    ['Policy version', pack.policy.version ?? 'not given'],
    ['Policy owner', pack.policy.owner ?? 'not given'],
    ['Policy review date', pack.policy.reviewDate ? `${longDay(pack.policy.reviewDate)}${pack.policy.reviewDue ? ' (the review is due: this date has passed)' : ''}` : 'not set'],
  ]);
  paragraph(doc, smallNumbersNote(pack.suppressBelow), { muted: true });
  heading(doc, 'Files in this pack', 2);
  table(
    doc,
    'Each file is a CSV download with a header row; every row of the period is in it.',
    [{ header: 'File', weight: 2 }, { header: 'Rows', weight: 1, align: 'right' }],
    files.map((f) => [f.name, String(f.rows)]),
  );

  const approved = pack.register.filter((r) => r.decision === 'approved').length;
  heading(doc, 'Decision register', 1);
  paragraph(
    doc,
    `Unblock requests decided in the period: ${pack.register.length} (${approved} approved, ${pack.register.length - approved} declined). ` +
      'The e-safety team reviews each request and the headteacher decides (8.4, 8.5); the register says what was allowed or refused, for whom, until when and why.',
  );
  if (pack.register.length > 0) {
    table(
      doc,
      'Decisions on unblock requests, oldest first.',
      [
        { header: 'Decided', weight: 1.1 },
        { header: 'Site', weight: 1.8 },
        { header: 'Decision', weight: 0.9 },
        { header: 'For', weight: 1.2 },
        { header: 'Until', weight: 1 },
        { header: 'By', weight: 1.1 },
        { header: 'Reason', weight: 2.4 },
      ],
      pack.register.map((r) => [day(r.decidedAt, zone), r.site, r.decision, describeScope(r.scope, policy), r.until === null ? '' : day(r.until, zone), r.decidedBy, r.reason]),
      { size: 7.5 },
    );
  }

  heading(doc, 'Filter check log', 1);
  const passes = pack.checkLog.filter((c) => c.passed).length;
  paragraph(doc, `Checks run in the period: ${pack.checkLog.length}; passed: ${passes}; failed: ${pack.checkLog.length - passes}.`);
  const tests = new Map<string, { passes: number; failures: number; lastFailure: number | null }>();
  for (const c of pack.checkLog) {
    const t = tests.get(c.test) ?? { passes: 0, failures: 0, lastFailure: null };
    if (c.passed) t.passes += 1;
    else {
      t.failures += 1;
      t.lastFailure = c.at;
    }
    tests.set(c.test, t);
  }
  barChart(doc, {
    caption: 'Check results by test.',
    series: [
      { name: 'Passed', colour: COLOURS.passed },
      { name: 'Failed', colour: COLOURS.failed },
    ],
    rows: [...tests].map(([id, t]) => ({ label: id, values: [{ kind: 'count', value: t.passes }, { kind: 'count', value: t.failures }] })),
    empty: 'No filter checks ran in the period.',
  });
  const failing = [...tests].filter(([, t]) => t.lastFailure !== null);
  if (failing.length > 0) {
    table(
      doc,
      'Tests that failed at least once, with their last failure.',
      [{ header: 'Test', weight: 2 }, { header: 'Failures', weight: 1, align: 'right' }, { header: 'Last failure', weight: 1.5 }],
      failing.map(([id, t]) => [id, String(t.failures), day(t.lastFailure!, zone)]),
    );
  }

  heading(doc, 'Overrides', 1);
  paragraph(doc, `Time-boxed grants in force at some time in the period: ${pack.overrides.length} (curriculum grants by teachers, and approved unblock requests).`);
  if (pack.overrides.length > 0) {
    table(
      doc,
      'Overrides in force during the period, oldest grant first.',
      [
        { header: 'Kind', weight: 1 },
        { header: 'For', weight: 1.5 },
        { header: 'Sites or categories', weight: 2 },
        { header: 'From', weight: 1 },
        { header: 'Until', weight: 1 },
        { header: 'Granted by', weight: 1.1 },
        { header: 'Reason', weight: 2 },
      ],
      pack.overrides.map((o) => [
        o.kind,
        describeOverrideScope(o, policy),
        [...(o.what.sites ?? []), ...(o.what.categories ?? []).map((c) => `category ${c}`)].join(', '),
        day(o.from, zone),
        o.revokedAt !== null ? `${day(o.revokedAt, zone)} (revoked)` : o.until === null ? '' : day(o.until, zone),
        o.grantedBy,
        o.reason,
      ]),
      { size: 7.5 },
    );
  }

  heading(doc, 'Incidents summary', 1);
  paragraph(doc, `Incidents opened in the period: ${formatShown(pack.incidents.total)}. Counts only; no child is named.`);
  table(
    doc,
    'Incidents by type.',
    [{ header: 'Type', weight: 3 }, { header: 'Incidents', weight: 1, align: 'right' }],
    pack.incidents.byType.map((t) => [t.title, formatShown(t.count)]),
  );
  table(
    doc,
    'Incidents by outcome.',
    [{ header: 'Outcome', weight: 3 }, { header: 'Incidents', weight: 1, align: 'right' }],
    pack.incidents.byOutcome.map((o) => [o.title, formatShown(o.count)]),
  );
  return finishDocument(doc, `${pack.school} - annual review evidence pack, ${periodText}`);
}
