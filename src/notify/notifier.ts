// What every workflow uses to tell people something: a notification lands in the recipient's
// dashboard inbox and, where an address is known and mail is configured, in their mailbox.
// Workflows name recipients by role, by person (roster username) or by account; the notifier
// resolves them. Sending never blocks the workflow's own transaction: a mail relay that is down
// leaves the message queued for retry, recorded, never lost.

export type Recipient =
  | { role: string }
  | { person: string }
  | { account: string }
  | { email: string };

export interface NotificationInput {
  /** what it is about, for filtering and de-duplication: `unblock.decided`, `alert.category`, … */
  kind: string;
  to: Recipient[];
  subject: string;
  /** plain text; no personal data beyond what the recipient may already see */
  text: string;
  /** the dashboard page it refers to (a path under /dashboard/, like `#/requests/ID`) */
  link?: string;
  /** the record it is about */
  about?: { type: string; id: string };
  /** send by mail as well as to the inbox (default true) */
  mail?: boolean;
  /**
   * makes the notification happen at most once: a second `notify` with the same key writes
   * nothing and answers with the first one's id (`alert:ID`, `alerts.digest:DUE`)
   */
  once?: string;
}

export interface NotifyResult {
  id: string;
  /** inbox entries and mail addresses the notification went to */
  recipients: number;
  /** true when `once` matched an earlier notification, so nothing new was written */
  repeated?: boolean;
}

export interface Notifier {
  notify(input: NotificationInput): Promise<NotifyResult>;
}
