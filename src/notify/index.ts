// Notifications to people: the dashboard inbox and mail through the configured relay.
export type { Notifier, NotificationInput, NotifyResult, Recipient } from './notifier.ts';
export { NotificationCenter, type NotificationCenterOptions, type NotifyPeople, type InboxItem, type DeliveryView, type OutboxItem } from './notification-center.ts';
export { MailOutbox, DEFAULT_RETRY, retryDelay, describeMailError, type MailOutboxOptions, type OutboxTimers, type OutboxPass, type OutboxStats, type RetryPolicy } from './mail-outbox.ts';
export { smtpTransport, type MailTransport, type OutgoingMail, type NotifySmtpConfig } from './smtp-transport.ts';
export { openNotifications, type Notifications, type OpenNotificationsOptions } from './open-notifications.ts';
export { notificationRoutes, type NotificationRouteDeps } from './notification-routes.ts';
export { MAIL_STATUSES, type MailStatus, type NotifyDatabase } from './notify-tables.ts';
export { routeRecipients, type RouteRecipients } from './route-recipients.ts';
