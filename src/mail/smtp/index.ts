// The SMTP filter service beside Postfix: before-queue proxy and after-queue content filter.
export {
  startMailFilter,
  DEFAULT_MAIL_LIMITS,
  type MailFilter,
  type MailFilterEvent,
  type MailFilterMode,
  type MailFilterOptions,
  type MailFilterStats,
  type MailLimits,
  type MailOutcome,
  type QuarantineSink,
} from './mail-filter.ts';
export { relayMessage, RelayFailure, RelayPool, type RelayEnvelope, type RelayResult, type RelayTarget } from './relay.ts';
export { buildNotification, notificationText, type NotificationInput } from './notification.ts';
export { replyText, type SmtpReply } from './smtp-reply.ts';
// the verdict types are the mail module's (src/mail/types.ts)
export { startMailService, type MailConfig, type MailService, type MailServiceDeps } from './mail-service.ts';
