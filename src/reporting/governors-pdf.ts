// The governors' termly report as a PDF: a cover (school, term, date produced, policy version and
// review date), then one section per area with its charts and the figures as text. It draws only
// what `GovernorsReportData` holds, which has already hidden the small counts.
import type { GovernorsReportData, NamedCount } from './governors-report.ts';
import { barChart, columnChart, completionChart, COLOURS } from './pdf-charts.ts';
import { createReportDocument, facts, finishDocument, heading, paragraph, startSection, table, type Pdf } from './pdf-layout.ts';
import { formatShown, type ShownCount } from './small-numbers.ts';

const longDate = (iso: string): string => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
};
const shortDate = (iso: string): string => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
};

export function formatInstant(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(epochMs));
}

/** A sentence about hidden counts, for the cover and the JSON's readers. */
export function smallNumbersNote(below: number): string {
  return (
    `No child is named in this report. A count that could relate to a child and is below ${below} reads "fewer than ${below}"; ` +
    `"withheld" hides another count (a larger one, or a total of small ones) so that no small count can be worked out from the rest. Zero is shown as 0.`
  );
}

function namedRows(items: readonly NamedCount[]) {
  return items.map((item) => ({ label: item.title, values: [item.count] }));
}

function cover(doc: Pdf, data: GovernorsReportData): void {
  doc.moveDown(4);
  doc.font('Helvetica').fontSize(12).fillColor('#52606d').text('Hedgerow e-safety report');
  doc.moveDown(0.5);
  heading(doc, "Governors' termly report", 1);
  doc.font('Helvetica-Bold').fontSize(14).text(data.school || 'School');
  doc.moveDown(1.2);
  const policy = data.policy;
  facts(doc, [
    ['Term', `${data.term.name} (${longDate(data.term.start)} to ${longDate(data.term.end)})`],
    ['Produced', formatInstant(data.producedAt, data.term.timeZone)],
    ['Policy version', policy.version ?? 'not given'],
    ['Policy owner', policy.owner ?? 'not given'],
    ['Policy review date', policy.reviewDate ? `${longDate(policy.reviewDate)}${policy.reviewDue ? ' (the review is due: this date has passed)' : ''}` : 'not set'],
    ['Policy revision', policy.revision.slice(0, 12)],
  ]);
  doc.moveDown(1);
  paragraph(doc, smallNumbersNote(data.suppressBelow), { muted: true });
  paragraph(
    doc,
    'The Governing Board has overall responsibility for the e-safety policy (1.1); the Heads of School run it day to day (1.4). ' +
      'This report gives the Board the figures to oversee it: what the filter blocked, what people asked to be unblocked and how those requests were decided, ' +
      'incidents and their outcomes, training and acknowledgement of the policy, the filter checks, sanctions and safeguarding alerts.',
    { muted: true },
  );
  doc.moveDown(0.5);
  heading(doc, 'Contents', 3);
  for (const line of ['1. Blocked attempts', '2. Unblock requests and decisions', '3. Incidents', '4. Training and acknowledgement', '5. Filter checks', '6. Sanctions and alerts']) {
    paragraph(doc, line);
  }
}

function blocksSection(doc: Pdf, data: GovernorsReportData): void {
  doc.addPage();
  heading(doc, '1. Blocked attempts', 1);
  paragraph(doc, `Blocked attempts this term: ${formatShown(data.blocks.total)}.`);
  heading(doc, 'Blocked attempts per week', 2);
  columnChart(doc, {
    caption: 'Blocked attempts per week of the term (weeks start on Monday; a shaded week is a half-term holiday).',
    columns: data.blocks.weeks.map((w) => ({ label: shortDate(w.start), value: w.total, shaded: w.halfTerm })),
    colour: COLOURS.blocked,
    shadedNote: 'Shaded: half-term week.',
  });
  heading(doc, 'Blocked attempts by category', 2);
  barChart(doc, {
    caption: 'Blocked attempts over the term by category of site. A site in several categories counts once in each.',
    series: [{ name: 'Blocked', colour: COLOURS.blocked }],
    rows: namedRows(data.blocks.byCategory),
    empty: 'Nothing was blocked this term.',
  });
  if (data.blocks.categories.length > 0) {
    heading(doc, 'Blocked attempts by category, week by week', 2);
    table(
      doc,
      'Blocked attempts per week and category.',
      [{ header: 'Week beginning', weight: 1.4 }, { header: 'All', weight: 0.9, align: 'right' }, ...data.blocks.categories.map((c) => ({ header: c.title, weight: 1, align: 'right' as const }))],
      data.blocks.weeks.map((w) => [`${shortDate(w.start)}${w.halfTerm ? ' (half term)' : ''}`, formatShown(w.total), ...w.byCategory.map(formatShown)]),
      { size: 7.5 },
    );
  }
  heading(doc, 'Blocked attempts by group', 2);
  barChart(doc, {
    caption: 'Blocked attempts over the term by group. A person in a class and a year group counts in both, and an attempt at a site in several categories counts once in each.',
    series: [{ name: 'Blocked', colour: COLOURS.blocked }],
    rows: namedRows(data.blocks.byGroup),
    empty: 'Nothing was blocked this term.',
  });
}

function requestsSection(doc: Pdf, data: GovernorsReportData): void {
  const r = data.requests;
  startSection(doc);
  heading(doc, '2. Unblock requests and decisions', 1);
  paragraph(
    doc,
    'People ask for a blocked site to be unblocked; the e-safety team reviews each request and the headteacher decides (8.4, 8.5). ' +
      'Many approvals in one category suggest the filter blocks too much there (overblocking).',
  );
  facts(doc, [
    ['Requested', formatShown(r.requested)],
    ['Approved', formatShown(r.approved)],
    ['Declined', formatShown(r.declined)],
    ['Median time to a decision', r.medianDaysToDecision === null ? `not given (fewer than ${data.suppressBelow} decisions)` : `${r.medianDaysToDecision} days`],
  ]);
  heading(doc, 'Requests and grants by category', 2);
  barChart(doc, {
    caption: 'Unblock requests made this term and the decisions on them, by category of the site asked for.',
    series: [
      { name: 'Requested', colour: COLOURS.requested },
      { name: 'Approved', colour: COLOURS.approved },
      { name: 'Declined', colour: COLOURS.declined },
    ],
    rows: r.byCategory.map((row) => ({ label: row.title, values: [row.requested, row.approved, row.declined] })),
    empty: 'No unblock requests were made this term.',
  });
  if (r.byCategory.some((row) => row.medianDays !== null)) {
    table(
      doc,
      'Median days from request to decision, by category (given where enough requests were decided).',
      [{ header: 'Category', weight: 3 }, { header: 'Median days', weight: 1, align: 'right' }],
      r.byCategory.filter((row) => row.medianDays !== null).map((row) => [row.title, String(row.medianDays)]),
    );
  }
  if (r.byGroup.length > 0) {
    heading(doc, 'Requests by group', 2);
    table(
      doc,
      "Unblock requests by the requester's group.",
      [{ header: 'Group', weight: 3 }, { header: 'Requested', weight: 1, align: 'right' }, { header: 'Approved', weight: 1, align: 'right' }, { header: 'Declined', weight: 1, align: 'right' }],
      r.byGroup.map((row) => [row.title, formatShown(row.requested), formatShown(row.approved), formatShown(row.declined)]),
    );
  }
}

function incidentsSection(doc: Pdf, data: GovernorsReportData): void {
  startSection(doc);
  heading(doc, '3. Incidents', 1);
  paragraph(doc, `Incidents opened this term: ${formatShown(data.incidents.total)}. Counts only: no child and no member of staff is named (9.1-9.9).`);
  heading(doc, 'Incidents by type', 2);
  barChart(doc, { caption: 'Incidents opened this term, by type.', series: [{ name: 'Incidents', colour: COLOURS.neutral }], rows: namedRows(data.incidents.byType), empty: 'No incidents were opened this term.' });
  heading(doc, 'Incidents by outcome', 2);
  barChart(doc, { caption: 'The same incidents by outcome ("Open": not yet closed).', series: [{ name: 'Incidents', colour: COLOURS.neutral }], rows: namedRows(data.incidents.byOutcome), empty: 'No incidents were opened this term.' });
}

function trainingSection(doc: Pdf, data: GovernorsReportData): void {
  startSection(doc);
  heading(doc, '4. Training and acknowledgement', 1);
  paragraph(doc, 'Staff training on the policy (4.1-4.3) and acknowledgement of the policy version in force, as at the end of the term.');
  const rows = data.training.courses.map((c) => ({ label: c.title ?? c.id, required: c.required, done: c.done, overdue: c.overdue }));
  const ack = data.training.acknowledgement;
  if (ack) rows.push({ label: `Acknowledged policy version ${ack.version}`, required: ack.required, done: ack.done, overdue: 0 });
  completionChart(doc, { caption: 'Completion of each course and of the acknowledgement, out of the people who must complete it.', rows });
  if (data.training.courses.length > 0) {
    table(
      doc,
      'Training by course.',
      [{ header: 'Course', weight: 3 }, { header: 'Required', weight: 1, align: 'right' }, { header: 'Done', weight: 1, align: 'right' }, { header: 'Overdue', weight: 1, align: 'right' }],
      data.training.courses.map((c) => [c.title ?? c.id, String(c.required), String(c.done), String(c.overdue)]),
    );
  }
  if (ack) paragraph(doc, `Acknowledgement of policy version ${ack.version}: ${ack.done} of ${ack.required} done.`);
}

function checksSection(doc: Pdf, data: GovernorsReportData): void {
  const c = data.checks;
  startSection(doc);
  heading(doc, '5. Filter checks', 1);
  paragraph(doc, 'Scheduled self-tests send test addresses through the real proxy and DNS filter as each group, and record whether the filter did what the policy says (DfE filtering standards).');
  facts(doc, [
    ['Checks run', String(c.runs)],
    ['Passed', String(c.passes)],
    ['Failed', String(c.failures)],
  ]);
  const count = (n: number): ShownCount => ({ kind: 'count', value: n });
  barChart(doc, {
    caption: 'Check results by test.',
    series: [
      { name: 'Passed', colour: COLOURS.passed },
      { name: 'Failed', colour: COLOURS.failed },
    ],
    rows: c.byTest.map((t) => ({ label: t.id, values: [count(t.passes), count(t.failures)] })),
    empty: 'No filter checks ran this term.',
  });
}

function sanctionsAlertsSection(doc: Pdf, data: GovernorsReportData): void {
  startSection(doc);
  heading(doc, '6. Sanctions and alerts', 1);
  heading(doc, 'Supervised-only sanctions', 2);
  paragraph(doc, 'Pupils who repeatedly try to get round the filter may be allowed on school computers only under close supervision, by the headteacher\'s decision (8.2).');
  facts(doc, [
    ['Imposed this term', formatShown(data.sanctions.imposed)],
    ['Lifted or ended this term', formatShown(data.sanctions.lifted)],
    ['In force at the end of the term', formatShown(data.sanctions.inForce)],
  ]);
  heading(doc, 'Safeguarding alerts', 2);
  paragraph(doc, `Alerts to the safeguarding lead this term: ${formatShown(data.alerts.total)}.`);
  barChart(doc, {
    caption: 'Alerts raised by attempts in a high-risk category.',
    series: [{ name: 'Alerts', colour: COLOURS.blocked }],
    rows: namedRows(data.alerts.byCategory),
    empty: 'No alerts were raised by a high-risk category this term.',
  });
  barChart(doc, {
    caption: 'Alerts raised by a search term on a safeguarding keyword list.',
    series: [{ name: 'Alerts', colour: COLOURS.blocked }],
    rows: namedRows(data.alerts.byList),
    empty: 'No alerts were raised by a keyword list this term.',
  });
}

export function renderGovernorsPdf(data: GovernorsReportData): Promise<Buffer> {
  const title = `Governors' termly report: ${data.school}, ${data.term.name}`;
  const doc = createReportDocument({
    title,
    subject: `E-safety figures for ${data.term.name}: blocked attempts, unblock requests, incidents, training, filter checks, sanctions and alerts`,
    keywords: 'e-safety, governors, termly report, web filter',
    producedAt: data.producedAt,
  });
  cover(doc, data);
  blocksSection(doc, data);
  requestsSection(doc, data);
  incidentsSection(doc, data);
  trainingSection(doc, data);
  checksSection(doc, data);
  sanctionsAlertsSection(doc, data);
  return finishDocument(doc, `${data.school} - governors' report, ${data.term.name}`);
}
