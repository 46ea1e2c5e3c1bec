// The tables of migration 010 that notifications use, as this module reads them.
import type { Database } from '../db/index.ts';

export type MailStatus = 'pending' | 'sent' | 'failed' | 'none';
export const MAIL_STATUSES: readonly MailStatus[] = ['pending', 'sent', 'failed', 'none'];

export interface NotificationsTable {
  id: string;
  at: number;
  kind: string;
  subject: string;
  text: string;
  link: string | null;
  about_type: string | null;
  about_id: string | null;
  once_key: string | null;
}

export interface NotificationDeliveriesTable {
  id: string;
  notification_id: string;
  /** copy of the notification's time, so an inbox pages without a join */
  at: number;
  /** whose inbox (a username shared by the people store and dashboard accounts); null for a bare address */
  username: string | null;
  email: string | null;
  read_at: number | null;
  mail_status: MailStatus;
  attempts: number;
  last_error: string | null;
  /** pending rows: not before this time (backoff, and a sender's claim while it sends) */
  next_attempt_at: number | null;
  sent_at: number | null;
}

export type NotifyDatabase = Database & {
  notifications: NotificationsTable;
  notification_deliveries: NotificationDeliveriesTable;
};
