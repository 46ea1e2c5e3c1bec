// Notifications to people: the dashboard inbox and mail through the configured relay.
export type { Notifier, NotificationInput, Recipient } from './notifier.ts';
