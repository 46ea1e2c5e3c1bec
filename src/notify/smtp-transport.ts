// Mail out through the school's relay (hedgerow.yaml `notify.smtp`), with nodemailer's SMTP
// transport. One message per recipient, so each delivery row has its own outcome.
import nodemailer from 'nodemailer';
import type { HedgerowConfig } from '../config/index.ts';
import { HedgerowError } from '../errors/index.ts';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** the same for every attempt at one delivery, so a mailbox can drop a repeat */
  messageId: string;
  date: Date;
  headers: Record<string, string>;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export type NotifySmtpConfig = NonNullable<NonNullable<HedgerowConfig['notify']>['smtp']>;

export function smtpTransport(config: NotifySmtpConfig): MailTransport {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTls,
    ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    // one connection per message: a relay restarted between messages costs nothing
    pool: false,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: mail.messageId,
          date: mail.date,
          headers: mail.headers,
        });
      } catch (error) {
        // the relay's own reply (or the connection error) stays on `cause` for the delivery row
        throw new HedgerowError('HR_NOTIFY_MAIL', `the relay \`${config.host}:${config.port}\` did not take the message for \`${mail.to}\``, { cause: error });
      }
    },
    close() {
      transport.close();
    },
  };
}
