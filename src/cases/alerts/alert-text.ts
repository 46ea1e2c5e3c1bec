// The words of an alert notification and of the weekly digest. Mail leaves the school's systems,
// so neither names a person: an alert says the role, the groups, where and when, with a link to
// the alert in the dashboard (where the name is, for those allowed to see it); the digest is
// counts and group names only.
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { AlertTriggerKind, AlertRecord, AlertDigestFigures } from './alert-store.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `Tue 24 Nov 2026, 10:15` in the zone. */
export function formatWhen(ms: number, timeZone: string): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(new Date(ms));
}

export function timeZoneOf(policy: Pick<ResolvedPolicy, 'calendar'>): string {
  return policy.calendar?.timeZone ?? 'UTC';
}

/** The category's, rule's or keyword list's title as the policy gives it. */
export function alertSubjectTitle(kind: AlertTriggerKind, subject: string, policy: Pick<ResolvedPolicy, 'categories' | 'workflows'>): string {
  if (kind === 'category') return policy.categories[subject]?.title ?? subject;
  if (kind === 'keyword') return policy.workflows.alerts?.keywords[subject]?.title ?? subject;
  return `rule ${subject}`;
}

function groupTitle(group: string, policy: Pick<ResolvedPolicy, 'groups'>): string {
  return policy.groups[group]?.title ?? group;
}

function roleTitle(role: string, policy: Pick<ResolvedPolicy, 'roles'>): string {
  return policy.roles[role]?.title ?? role;
}

const ACTION_WORDS: Record<string, string> = { block: 'blocked', warn: 'warned', allow: 'allowed' };

export function alertMessage(alert: AlertRecord, policy: ResolvedPolicy): { subject: string; text: string } {
  const title = alertSubjectTitle(alert.kind, alert.subject, policy);
  const zone = timeZoneOf(policy);
  const who = alert.person !== null ? `A ${roleTitle(alert.role, policy).toLowerCase()}` : `Someone not signed in (treated as ${roleTitle(alert.role, policy).toLowerCase()})`;
  const groups = alert.groups.length > 0 ? ` in ${alert.groups.map((g) => groupTitle(g, policy)).join(', ')}` : '';
  const what =
    alert.kind === 'keyword'
      ? `searched for words on the keyword list "${title}" ("${alert.matched ?? alert.term ?? ''}" matched).`
      : alert.kind === 'category'
        ? `tried to reach a site in the category "${title}" (${ACTION_WORDS[alert.action] ?? alert.action}).`
        : `tried to reach a site covered by ${title} (${ACTION_WORDS[alert.action] ?? alert.action}).`;
  const device = [alert.device ? `device ${alert.device}` : null, alert.clientIp ? `address ${alert.clientIp}` : null].filter(Boolean).join(', ');
  const window = policy.workflows.alerts?.dedupeWindow;
  const lines = [
    `${who}${groups} ${what}`,
    '',
    `When: ${formatWhen(alert.firstAt, zone)} (${zone})`,
    `Site: ${alert.host}${device ? ` (${device})` : ''}`,
    ...(alert.clauses.length > 0 ? [`Policy clauses: ${alert.clauses.join(', ')}`] : []),
    `Reference: ${alert.eventId}`,
    '',
    'The name is shown with the alert in the Hedgerow dashboard, for the people allowed to see it.',
    ...(window ? [`Repeats within ${window} are counted on this alert and not announced again.`] : []),
  ];
  const subjectLine =
    alert.kind === 'keyword' ? `Safeguarding alert: search matching "${title}"` : `Safeguarding alert: ${ACTION_WORDS[alert.action] ?? alert.action} attempt, ${title}`;
  return { subject: subjectLine, text: lines.join('\n') };
}

const KIND_WORDS: Record<AlertTriggerKind, string> = { category: 'category', rule: 'rule', keyword: 'keyword list' };

export function digestMessage(figures: AlertDigestFigures, policy: ResolvedPolicy): { subject: string; text: string } {
  const zone = timeZoneOf(policy);
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric' });
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines = [
    `Safeguarding alerts from ${formatWhen(figures.from, zone)} to ${formatWhen(figures.to, zone)} (${zone}).`,
    '',
    `New alerts: ${figures.alerts} (${plural(figures.attempts, 'attempt')} counted, repeats included).`,
  ];
  if (figures.bySubject.length > 0) {
    lines.push('', 'By category or keyword list:');
    for (const s of figures.bySubject) lines.push(`  ${alertSubjectTitle(s.kind, s.subject, policy)} (${KIND_WORDS[s.kind]}): ${plural(s.alerts, 'alert')}, ${plural(s.attempts, 'attempt')}`);
  }
  if (figures.groups.length > 0) {
    lines.push('', 'Groups with the most alerts:');
    for (const g of figures.groups.slice(0, 10)) lines.push(`  ${groupTitle(g.group, policy)}: ${plural(g.alerts, 'alert')}`);
  }
  const open = figures.open.new + figures.open.acknowledged;
  lines.push(
    '',
    `Open alerts now: ${open} (${figures.open.new} new, ${figures.open.acknowledged} acknowledged)${figures.open.oldestFirstAt !== null ? `; the oldest opened ${formatWhen(figures.open.oldestFirstAt, zone)}` : ''}.`,
    '',
    'No one is named in this digest. The alerts page of the Hedgerow dashboard has each alert.',
  );
  return { subject: `Weekly safeguarding alerts digest: ${day.format(new Date(figures.from))} to ${day.format(new Date(figures.to))}`, text: lines.join('\n') };
}
