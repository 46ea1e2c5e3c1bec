// The inbox (every signed-in account: `session.self`): its notifications, the unread count the
// navigation shows, and marking read. The mail outbox for the people who look after settings:
// counts by status, the deliveries that failed with their last error, and sending one again.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteSpec, type SignedIn } from '../api/index.ts';
import { HedgerowError } from '../errors/index.ts';
import type { MailOutbox } from './mail-outbox.ts';
import type { NotificationCenter } from './notification-center.ts';
import { MAIL_STATUSES } from './notify-tables.ts';

export interface NotificationRouteDeps {
  notifications: NotificationCenter;
  /** null when no relay is configured */
  outbox?: MailOutbox | null;
}

const idParams = z.object({ id: z.string().min(1).max(64) });

const inboxItem = z.object({
  id: z.string(),
  notificationId: z.string(),
  at: z.number(),
  kind: z.string(),
  subject: z.string(),
  text: z.string(),
  link: z.string().nullable(),
  about: z.object({ type: z.string(), id: z.string() }).nullable(),
  readAt: z.number().nullable(),
});

const mailStatus = z.enum(MAIL_STATUSES as unknown as ['pending', 'sent', 'failed', 'none']);

const delivery = z.object({
  id: z.string(),
  notificationId: z.string(),
  at: z.number(),
  username: z.string().nullable(),
  email: z.string().nullable(),
  readAt: z.number().nullable(),
  mailStatus,
  attempts: z.number(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.number().nullable(),
  sentAt: z.number().nullable(),
});

function signedIn(account: SignedIn | null): SignedIn {
  // the API only runs non-public handlers for a signed-in account
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first; the session has ended or there is none');
  return account;
}

export function notificationRoutes(deps: ApiDeps, own: NotificationRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/inbox',
      action: 'session.self',
      summary: 'Your notifications, newest first (all, or only the unread), with the unread count',
      tags: ['inbox'],
      query: z.strictObject({
        state: z.enum(['all', 'unread']).optional(),
        cursor: z.string().min(1).max(200).optional(),
        limit: z.coerce.number().int().min(1).max(200).optional(),
      }),
      response: z.object({ items: z.array(inboxItem), nextCursor: z.string().nullable(), unread: z.number() }),
      async handler(context) {
        const account = signedIn(context.account);
        const { state = 'all', cursor, limit } = context.query;
        const page = await own.notifications.inbox(account.username, { unread: state === 'unread', cursor: cursor ?? null, ...(limit !== undefined ? { limit } : {}) });
        return { ...page, unread: await own.notifications.unreadCount(account.username) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/inbox/unread',
      action: 'session.self',
      summary: 'How many of your notifications are unread (for the navigation)',
      tags: ['inbox'],
      response: z.object({ unread: z.number() }),
      async handler(context) {
        return { unread: await own.notifications.unreadCount(signedIn(context.account).username) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/inbox/:id/read',
      action: 'session.self',
      summary: 'Mark one of your notifications read',
      tags: ['inbox'],
      params: idParams,
      response: inboxItem,
      handler(context) {
        return own.notifications.markRead(signedIn(context.account).username, context.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/inbox/read-all',
      action: 'session.self',
      summary: 'Mark all your notifications read',
      tags: ['inbox'],
      response: z.object({ marked: z.number(), unread: z.number() }),
      async handler(context) {
        const account = signedIn(context.account);
        const marked = await own.notifications.markAllRead(account.username);
        return { marked, unread: await own.notifications.unreadCount(account.username) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/notifications/outbox',
      action: 'settings.read',
      summary: 'Notification mail by status, and the deliveries in one status (default: failed) with their last error',
      tags: ['inbox'],
      query: z.strictObject({ status: mailStatus.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
      response: z.object({
        configured: z.boolean(),
        counts: z.record(mailStatus, z.number()),
        items: z.array(delivery.extend({ kind: z.string(), subject: z.string() })),
        lastError: z.string().nullable(),
      }),
      async handler(context) {
        const { status, limit } = context.query;
        const outbox = await own.notifications.outbox({ ...(status ? { status } : {}), ...(limit !== undefined ? { limit } : {}) });
        return { configured: own.outbox != null, ...outbox, lastError: own.outbox?.stats().lastError ?? null };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/notifications/outbox/:id/retry',
      action: 'settings.edit',
      summary: 'Send a failed notification mail again, with a fresh set of attempts (audited)',
      tags: ['inbox'],
      params: idParams,
      body: z.strictObject({ reason: z.string().trim().max(1000).optional() }).optional(),
      response: z.object({ id: z.string(), mailStatus }),
      async handler(context) {
        const account = signedIn(context.account);
        const before = await own.notifications.retry(context.params.id);
        await deps.audit.append({
          actor: account.username,
          action: 'notify.retry',
          subject: `notification-delivery:${before.id}`,
          before: { mailStatus: before.mailStatus, attempts: before.attempts, lastError: before.lastError },
          after: { mailStatus: 'pending', attempts: 0 },
          reason: context.body?.reason || null,
        });
        return { id: before.id, mailStatus: 'pending' as const };
      },
    }),
  ];
}
