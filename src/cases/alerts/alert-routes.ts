// The alerts API (`alerts.read`: the safeguarding roles): the list with filters, the open counts,
// one alert with the events counted on it and how its notification was delivered, and the
// handling: acknowledge, then close with a note. Opening one alert, acknowledging and closing are
// audited; so is who looked at an alert's detail, since it names a person and their search.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteSpec, type SignedIn } from '../../api/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { NotificationCenter } from '../../notify/index.ts';
import type { AlertDigest } from './alert-digest.ts';
import { ALERT_TRIGGER_KINDS, ALERT_STATES, type AlertRecord, type AlertStore } from './alert-store.ts';
import { alertSubjectTitle } from './alert-text.ts';

export interface AlertRouteDeps {
  alerts: AlertStore;
  /** to show how each alert's notification was delivered */
  notifications?: NotificationCenter | null;
  digest?: AlertDigest | null;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const kind = z.enum(ALERT_TRIGGER_KINDS as unknown as ['category', 'rule', 'keyword']);
const state = z.enum(ALERT_STATES as unknown as ['new', 'acknowledged', 'closed']);

const alertView = z.object({
  id: z.string(),
  kind,
  subject: z.string(),
  subjectTitle: z.string(),
  firstAt: z.number(),
  lastAt: z.number(),
  count: z.number(),
  eventId: z.string(),
  point: z.string(),
  person: z.string().nullable(),
  personName: z.string().nullable(),
  role: z.string(),
  groups: z.array(z.string()),
  device: z.string().nullable(),
  clientIp: z.string().nullable(),
  host: z.string(),
  url: z.string().nullable(),
  categories: z.array(z.string()),
  rule: z.string(),
  action: z.string(),
  clauses: z.array(z.string()),
  searchTerm: z.string().nullable(),
  matched: z.string().nullable(),
  term: z.string().nullable(),
  language: z.string().nullable(),
  policyRevision: z.string(),
  state,
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
  acknowledgeNote: z.string().nullable(),
  closedAt: z.number().nullable(),
  closedBy: z.string().nullable(),
  closeNote: z.string().nullable(),
  notificationId: z.string().nullable(),
});

const counts = z.object({ new: z.number(), acknowledged: z.number() });

function signedIn(account: SignedIn | null): SignedIn {
  // the API only runs non-public handlers for a signed-in account
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first; the session has ended or there is none');
  return account;
}

/** What the audit keeps of an alert's handling: its state and notes, never the search itself. */
function handling(alert: AlertRecord) {
  return { state: alert.state, acknowledgedBy: alert.acknowledgedBy, acknowledgeNote: alert.acknowledgeNote, closedBy: alert.closedBy, closeNote: alert.closeNote };
}

export function alertRoutes(deps: ApiDeps, own: AlertRouteDeps): RouteSpec[] {
  const view = (alert: AlertRecord) => {
    const policy = deps.engine().policy;
    return {
      ...alert,
      subjectTitle: alertSubjectTitle(alert.kind, alert.subject, policy),
      personName: alert.person !== null ? (deps.people.get(alert.person)?.displayName ?? null) : null,
    };
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/alerts',
      action: 'alerts.read',
      summary: 'Safeguarding alerts, newest first: open (the default), one state or all; by kind, category or list, person, group and time',
      tags: ['alerts'],
      query: z.strictObject({
        state: z.enum(['open', 'all', 'new', 'acknowledged', 'closed']).optional(),
        kind: kind.optional(),
        subject: z.string().min(1).max(128).optional(),
        person: z.string().min(1).max(128).optional(),
        group: z.string().min(1).max(128).optional(),
        from: z.coerce.number().int().min(0).optional(),
        to: z.coerce.number().int().min(0).optional(),
        cursor: z.string().min(1).max(200).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
      response: z.object({ items: z.array(alertView), nextCursor: z.string().nullable(), counts }),
      async handler(context) {
        const q = context.query;
        if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
          throw new HedgerowError('HR_ALERTS_INPUT', '`from` must be before `to`', { where: { field: 'from' } });
        }
        const page = await own.alerts.list({
          ...(q.state ? { state: q.state } : {}),
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.subject ? { subject: q.subject } : {}),
          ...(q.person ? { person: q.person.toLowerCase() } : {}),
          ...(q.group ? { group: q.group } : {}),
          ...(q.from !== undefined ? { from: q.from } : {}),
          ...(q.to !== undefined ? { to: q.to } : {}),
          cursor: q.cursor ?? null,
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
        return { items: page.items.map(view), nextCursor: page.nextCursor, counts: await own.alerts.openCounts() };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/alerts/counts',
      action: 'alerts.read',
      summary: 'How many alerts are new and acknowledged (for the navigation)',
      tags: ['alerts'],
      response: counts,
      handler() {
        return own.alerts.openCounts();
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/alerts/digest',
      action: 'alerts.read',
      summary: 'When the weekly digest is next due, and the last one sent (counts only)',
      tags: ['alerts'],
      response: z.object({
        nextRun: z.number().nullable(),
        last: z.object({ dueAt: z.number(), periodFrom: z.number(), periodTo: z.number(), sentAt: z.number(), notificationId: z.string().nullable(), summary: z.unknown() }).nullable(),
      }),
      async handler() {
        return { nextRun: own.digest?.nextRun() ?? null, last: await own.alerts.lastDigest() };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/alerts/:id',
      action: 'alerts.read',
      summary: 'One alert with the events counted on it and how its notification was delivered (audited)',
      tags: ['alerts'],
      params: idParams,
      response: z.object({
        alert: alertView,
        events: z.array(z.object({ eventId: z.string(), at: z.number(), host: z.string(), action: z.string(), matched: z.string().nullable() })),
        deliveries: z.array(z.object({ username: z.string().nullable(), email: z.string().nullable(), mailStatus: z.string(), attempts: z.number(), lastError: z.string().nullable(), readAt: z.number().nullable(), sentAt: z.number().nullable() })),
      }),
      async handler(context) {
        const account = signedIn(context.account);
        const alert = await own.alerts.get(context.params.id);
        await deps.audit.append({ actor: account.username, action: 'alerts.view', subject: `alert:${alert.id}`, after: { person: alert.person, kind: alert.kind, subject: alert.subject } });
        const deliveries = alert.notificationId && own.notifications ? await own.notifications.deliveries(alert.notificationId) : [];
        return {
          alert: view(alert),
          events: await own.alerts.events(alert.id),
          deliveries: deliveries.map((d) => ({ username: d.username, email: d.email, mailStatus: d.mailStatus, attempts: d.attempts, lastError: d.lastError, readAt: d.readAt, sentAt: d.sentAt })),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/alerts/:id/acknowledge',
      action: 'alerts.read',
      summary: 'Acknowledge a new alert: someone is looking at it (audited)',
      tags: ['alerts'],
      params: idParams,
      body: z.strictObject({ note: z.string().max(2000).optional() }).optional(),
      response: alertView,
      async handler(context) {
        const account = signedIn(context.account);
        const { before, after } = await own.alerts.acknowledge(context.params.id, account.username, context.body?.note ?? null);
        await deps.audit.append({ actor: account.username, action: 'alerts.acknowledge', subject: `alert:${after.id}`, before: handling(before), after: handling(after), reason: after.acknowledgeNote });
        return view(after);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/alerts/:id/close',
      action: 'alerts.read',
      summary: 'Close an alert with a note saying what was done (audited)',
      tags: ['alerts'],
      params: idParams,
      body: z.strictObject({ note: z.string().max(2000) }),
      response: alertView,
      async handler(context) {
        const account = signedIn(context.account);
        const { before, after } = await own.alerts.close(context.params.id, account.username, context.body.note);
        await deps.audit.append({ actor: account.username, action: 'alerts.close', subject: `alert:${after.id}`, before: handling(before), after: handling(after), reason: after.closeNote });
        return view(after);
      },
    }),
  ];
}
