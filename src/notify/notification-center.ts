// The notifier every workflow calls. A notification is written once, in one transaction with a
// delivery row per recipient: the row is the recipient's inbox entry and, when the recipient has
// a mail address and mail is configured, the mail still to send. Sending happens afterwards, in
// the outbox (mail-outbox.ts), never on the caller's path; the caller waits only for the write.
//
// Recipients are resolved when the notification is written, so the inbox shows who it went to
// even after people change role:
// - `{ role }`: every active person of that role in the people store and every enabled dashboard
//   account of that role (role sets such as `staff` are expanded);
// - `{ person }`: that person (active), or an enabled account with that username;
// - `{ account }`: the enabled account with that id or username;
// - `{ email }`: mail only, no inbox.
// Accounts and people share usernames, so one username gets one inbox entry however many routes
// lead to it; a person's mail address comes from the people store.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { normaliseEmail, normaliseUsername, type PersonRecord } from '../identity/index.ts';
import type { NotificationInput, Notifier, NotifyResult, Recipient } from './notifier.ts';
import type { MailStatus, NotificationDeliveriesTable, NotifyDatabase } from './notify-tables.ts';

const MAX_SUBJECT = 300;
const MAX_TEXT = 20_000;
const MAX_LINK = 500;

/** What the notifier needs of the people store. */
export interface NotifyPeople {
  get(username: string): PersonRecord | null;
  list(filter: { role?: string }): PersonRecord[];
}

export interface NotificationCenterOptions {
  store: StoreDatabase;
  people: NotifyPeople;
  /** the policy's role sets (`staff` → its roles), read at each notification */
  roleSets?: () => Readonly<Record<string, readonly string[]>>;
  /** true when a relay is configured: only then do deliveries wait for mail */
  mail: boolean;
  now?: () => number;
  /** called after a write that left mail to send (the outbox wakes) */
  onPending?: () => void;
}

export interface InboxItem {
  /** the delivery's id: what the inbox routes take */
  id: string;
  notificationId: string;
  at: number;
  kind: string;
  subject: string;
  text: string;
  link: string | null;
  about: { type: string; id: string } | null;
  readAt: number | null;
}

export interface DeliveryView {
  id: string;
  notificationId: string;
  at: number;
  username: string | null;
  email: string | null;
  readAt: number | null;
  mailStatus: MailStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  sentAt: number | null;
}

export interface OutboxItem extends DeliveryView {
  kind: string;
  subject: string;
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(10).toString('base64url')}`;
}

function inputError(message: string, field: string): HedgerowError {
  return new HedgerowError('HR_NOTIFY_INPUT', message, { where: { field } });
}

function encodeCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return { at: value[0], id: value[1] };
  } catch {
    // fall through to the error below
  }
  throw new HedgerowError('HR_NOTIFY_INPUT', `\`${cursor}\` is not a cursor this inbox gave out`, { where: { field: 'cursor' } });
}

function deliveryView(row: NotificationDeliveriesTable): DeliveryView {
  return {
    id: row.id,
    notificationId: row.notification_id,
    at: row.at,
    username: row.username,
    email: row.email,
    readAt: row.read_at,
    mailStatus: row.mail_status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
  };
}

/** Checks the input's shape; a caller's mistake is an error, an empty role is not. */
function checkInput(input: NotificationInput): void {
  if (typeof input.kind !== 'string' || input.kind.trim() === '') throw inputError('a notification needs a kind', 'kind');
  if (typeof input.subject !== 'string' || input.subject.trim() === '') throw inputError('a notification needs a subject', 'subject');
  if (typeof input.text !== 'string' || input.text.trim() === '') throw inputError('a notification needs a text', 'text');
  if (!Array.isArray(input.to) || input.to.length === 0) throw inputError('a notification needs at least one recipient', 'to');
  input.to.forEach((recipient, i) => {
    const keys = typeof recipient === 'object' && recipient !== null ? Object.keys(recipient) : [];
    const key = keys[0];
    const value = key ? (recipient as Record<string, unknown>)[key] : undefined;
    if (keys.length !== 1 || !['role', 'person', 'account', 'email'].includes(key!) || typeof value !== 'string' || value.trim() === '') {
      throw inputError('a recipient is one of `{ role }`, `{ person }`, `{ account }` or `{ email }` with a non-empty name', `to[${i}]`);
    }
    if (key === 'email' && normaliseEmail(value) === null) throw inputError(`\`${value}\` is not a mail address`, `to[${i}].email`);
  });
}

export class NotificationCenter implements Notifier {
  private readonly db: Kysely<NotifyDatabase>;
  private readonly people: NotifyPeople;
  private readonly roleSets: () => Readonly<Record<string, readonly string[]>>;
  private readonly mail: boolean;
  private readonly now: () => number;
  private readonly onPending: () => void;

  constructor(options: NotificationCenterOptions) {
    // NOTE: the store's Database type lists the shared tables; these two belong to this module.
    this.db = options.store.db as unknown as Kysely<NotifyDatabase>;
    this.people = options.people;
    this.roleSets = options.roleSets ?? (() => ({}));
    this.mail = options.mail;
    this.now = options.now ?? Date.now;
    this.onPending = options.onPending ?? (() => undefined);
  }

  /** Username → mail address (or null) for every recipient, and the bare addresses. */
  private async resolve(to: readonly Recipient[]): Promise<{ users: Map<string, string | null>; addresses: Set<string> }> {
    const users = new Map<string, string | null>();
    const addresses = new Set<string>();
    const emailOf = (username: string): string | null => this.people.get(username)?.email ?? null;
    const roles = new Set<string>();
    const sets = this.roleSets();
    const wantedAccounts = new Set<string>();
    for (const recipient of to) {
      if ('role' in recipient) for (const role of sets[recipient.role] ?? [recipient.role]) roles.add(role);
      else if ('person' in recipient) {
        const username = normaliseUsername(recipient.person);
        if (!username) continue;
        const person = this.people.get(username);
        if (person?.active) users.set(username, person.email ?? null);
        else wantedAccounts.add(username);
      } else if ('account' in recipient) wantedAccounts.add(recipient.account.trim());
      else addresses.add(normaliseEmail(recipient.email)!);
    }
    for (const role of roles) {
      for (const person of this.people.list({ role })) users.set(person.username, person.email ?? null);
    }
    if (roles.size > 0) {
      const accounts = await this.db.selectFrom('accounts').select('username').where('role', 'in', [...roles]).where('disabled', '=', 0).execute();
      for (const { username } of accounts) if (!users.has(username)) users.set(username, emailOf(username));
    }
    if (wantedAccounts.size > 0) {
      const names = [...wantedAccounts];
      const accounts = await this.db
        .selectFrom('accounts')
        .select('username')
        .where((eb) => eb.or([eb('id', 'in', names), eb('username', 'in', names.map((n) => n.toLowerCase()))]))
        .where('disabled', '=', 0)
        .execute();
      for (const { username } of accounts) if (!users.has(username)) users.set(username, emailOf(username));
    }
    // a bare address that is also a recipient's own address is one mail, not two
    for (const email of users.values()) if (email) addresses.delete(email);
    return { users, addresses };
  }

  async notify(input: NotificationInput): Promise<NotifyResult> {
    checkInput(input);
    if (input.once !== undefined) {
      const earlier = await this.byOnceKey(input.once);
      if (earlier) return earlier;
    }
    const { users, addresses } = await this.resolve(input.to);
    const at = this.now();
    const id = newId('n');
    const wantsMail = this.mail && input.mail !== false;
    const rows: NotificationDeliveriesTable[] = [];
    const row = (username: string | null, email: string | null): NotificationDeliveriesTable => {
      const pending = wantsMail && email !== null;
      return {
        id: newId('d'),
        notification_id: id,
        at,
        username,
        email,
        read_at: null,
        mail_status: pending ? 'pending' : 'none',
        attempts: 0,
        last_error: null,
        next_attempt_at: pending ? at : null,
        sent_at: null,
      };
    };
    for (const [username, email] of users) rows.push(row(username, email));
    for (const email of addresses) rows.push(row(null, email));
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('notifications')
          .values({
            id,
            at,
            kind: input.kind.trim(),
            subject: input.subject.trim().slice(0, MAX_SUBJECT),
            text: input.text.slice(0, MAX_TEXT),
            link: input.link ? input.link.slice(0, MAX_LINK) : null,
            about_type: input.about?.type ?? null,
            about_id: input.about?.id ?? null,
            once_key: input.once ?? null,
          })
          .execute();
        // in slices, so a notification to every member of staff stays under the engines' parameter limits
        for (let i = 0; i < rows.length; i += 200) await trx.insertInto('notification_deliveries').values(rows.slice(i, i + 200)).execute();
      });
    } catch (error) {
      // another writer (a second node) wrote the same `once` key first
      if (input.once !== undefined) {
        const earlier = await this.byOnceKey(input.once);
        if (earlier) return earlier;
      }
      throw error;
    }
    if (rows.some((r) => r.mail_status === 'pending')) this.onPending();
    return { id, recipients: rows.length };
  }

  private async byOnceKey(key: string): Promise<NotifyResult | null> {
    const found = await this.db.selectFrom('notifications').select('id').where('once_key', '=', key).executeTakeFirst();
    if (!found) return null;
    const count = await this.db.selectFrom('notification_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('notification_id', '=', found.id).executeTakeFirstOrThrow();
    return { id: found.id, recipients: Number(count.n), repeated: true };
  }

  /** The inbox of one username, newest first; `unread` leaves out what was read. */
  async inbox(username: string, options: { unread?: boolean; cursor?: string | null; limit?: number } = {}): Promise<{ items: InboxItem[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 200));
    let query = this.db
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .select(['d.id', 'd.notification_id', 'd.at', 'd.read_at', 'n.kind', 'n.subject', 'n.text', 'n.link', 'n.about_type', 'n.about_id'])
      .where('d.username', '=', username);
    if (options.unread) query = query.where('d.read_at', 'is', null);
    if (options.cursor) {
      const after = decodeCursor(options.cursor);
      query = query.where((eb) => eb.or([eb('d.at', '<', after.at), eb.and([eb('d.at', '=', after.at), eb('d.id', '<', after.id)])]));
    }
    const rows = await query.orderBy('d.at', 'desc').orderBy('d.id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        notificationId: r.notification_id,
        at: r.at,
        kind: r.kind,
        subject: r.subject,
        text: r.text,
        link: r.link,
        about: r.about_type !== null && r.about_id !== null ? { type: r.about_type, id: r.about_id } : null,
        readAt: r.read_at,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
    };
  }

  async unreadCount(username: string): Promise<number> {
    const row = await this.db
      .selectFrom('notification_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', username)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Marks one of the username's own entries read (again: keeps the first time). */
  async markRead(username: string, deliveryId: string): Promise<InboxItem> {
    const row = await this.db.selectFrom('notification_deliveries').select(['id', 'read_at']).where('id', '=', deliveryId).where('username', '=', username).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_NOTIFY_NOT_FOUND', `no notification \`${deliveryId}\` in your inbox`);
    if (row.read_at === null) await this.db.updateTable('notification_deliveries').set({ read_at: this.now() }).where('id', '=', deliveryId).where('read_at', 'is', null).execute();
    return this.item(deliveryId);
  }

  async markAllRead(username: string): Promise<number> {
    const result = await this.db.updateTable('notification_deliveries').set({ read_at: this.now() }).where('username', '=', username).where('read_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  private async item(deliveryId: string): Promise<InboxItem> {
    const r = await this.db
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .select(['d.id', 'd.notification_id', 'd.at', 'd.read_at', 'n.kind', 'n.subject', 'n.text', 'n.link', 'n.about_type', 'n.about_id'])
      .where('d.id', '=', deliveryId)
      .executeTakeFirstOrThrow();
    return {
      id: r.id,
      notificationId: r.notification_id,
      at: r.at,
      kind: r.kind,
      subject: r.subject,
      text: r.text,
      link: r.link,
      about: r.about_type !== null && r.about_id !== null ? { type: r.about_type, id: r.about_id } : null,
      readAt: r.read_at,
    };
  }

  /** Who a notification went to and how each mail fared. */
  async deliveries(notificationId: string): Promise<DeliveryView[]> {
    const rows = await this.db.selectFrom('notification_deliveries').selectAll().where('notification_id', '=', notificationId).orderBy('username').orderBy('email').execute();
    return rows.map(deliveryView);
  }

  /** Counts of mail by status, and the deliveries in one status (default: failed), newest first. */
  async outbox(options: { status?: MailStatus; limit?: number } = {}): Promise<{ counts: Record<MailStatus, number>; items: OutboxItem[] }> {
    const counts: Record<MailStatus, number> = { pending: 0, sent: 0, failed: 0, none: 0 };
    const grouped = await this.db.selectFrom('notification_deliveries').select(['mail_status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('mail_status').execute();
    for (const g of grouped) counts[g.mail_status] = Number(g.n);
    const rows = await this.db
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .selectAll('d')
      .select(['n.kind', 'n.subject'])
      .where('d.mail_status', '=', options.status ?? 'failed')
      .orderBy('d.at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(Math.max(1, Math.min(options.limit ?? 50, 500)))
      .execute();
    return { counts, items: rows.map((r) => ({ ...deliveryView(r), kind: r.kind, subject: r.subject })) };
  }

  /** Puts a failed mail back in the queue with a fresh set of attempts; returns it as it was before. */
  async retry(deliveryId: string): Promise<DeliveryView> {
    const row = await this.db.selectFrom('notification_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_NOTIFY_NOT_FOUND', `no mail delivery \`${deliveryId}\``);
    if (row.mail_status !== 'failed') throw new HedgerowError('HR_NOTIFY_STATE', `mail delivery \`${deliveryId}\` is ${row.mail_status}, not failed`);
    await this.db
      .updateTable('notification_deliveries')
      .set({ mail_status: 'pending', attempts: 0, next_attempt_at: this.now() })
      .where('id', '=', deliveryId)
      .where('mail_status', '=', 'failed')
      .execute();
    this.onPending();
    return deliveryView(row);
  }
}
