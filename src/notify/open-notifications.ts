// The notifier and its mail outbox as the server starts them from hedgerow.yaml: without
// `notify.smtp` notifications go to the dashboard inbox only.
import type { HedgerowConfig } from '../config/index.ts';
import type { StoreDatabase } from '../db/index.ts';
import { MailOutbox, type OutboxTimers } from './mail-outbox.ts';
import { NotificationCenter, type NotifyPeople } from './notification-center.ts';
import { smtpTransport, type MailTransport } from './smtp-transport.ts';

export interface OpenNotificationsOptions {
  store: StoreDatabase;
  people: NotifyPeople;
  config: HedgerowConfig['notify'];
  roleSets?: () => Readonly<Record<string, readonly string[]>>;
  now?: () => number;
  /** the dashboard's address, for the links in mail */
  dashboardUrl?: () => string | null;
  /** instead of SMTP to the configured relay (tests) */
  transport?: MailTransport;
  timers?: OutboxTimers;
  onError?: (error: unknown) => void;
}

export interface Notifications {
  center: NotificationCenter;
  /** null when no relay is configured */
  outbox: MailOutbox | null;
  /** sends mail left pending by an earlier run and keeps the outbox going */
  start(): void;
  close(): Promise<void>;
}

export function openNotifications(options: OpenNotificationsOptions): Notifications {
  const smtp = options.config?.smtp;
  const retry = options.config?.retry;
  const transport = options.transport ?? (smtp ? smtpTransport(smtp) : null);
  const outbox =
    transport && smtp
      ? new MailOutbox({
          store: options.store,
          transport,
          from: smtp.from,
          ...(options.now ? { now: options.now } : {}),
          ...(retry ? { retry: { maxAttempts: retry.maxAttempts, firstDelayMs: retry.firstDelaySeconds * 1000, maxDelayMs: retry.maxDelaySeconds * 1000 } } : {}),
          ...(options.dashboardUrl ? { dashboardUrl: options.dashboardUrl } : {}),
          ...(options.timers ? { timers: options.timers } : {}),
          ...(options.onError ? { onError: options.onError } : {}),
        })
      : null;
  const center = new NotificationCenter({
    store: options.store,
    people: options.people,
    mail: outbox !== null,
    ...(options.roleSets ? { roleSets: options.roleSets } : {}),
    ...(options.now ? { now: options.now } : {}),
    onPending: () => outbox?.wake(),
  });
  return {
    center,
    outbox,
    start: () => outbox?.start(),
    close: async () => {
      await outbox?.close();
    },
  };
}
