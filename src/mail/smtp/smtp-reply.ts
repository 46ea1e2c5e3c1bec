// SMTP replies the filter gives: a code, an enhanced status code (RFC 3463) and one line of text.
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

export interface SmtpReply {
  code: number;
  /** `5.7.1` and the like */
  enhanced: string;
  message: string;
}

/** What smtp-server's callbacks take: an Error whose `responseCode` is the reply code. */
export type SmtpReplyError = Error & { responseCode: number };

// RFC 5321 allows 512 octets per reply line; leave room for the codes.
const MAX_TEXT = 480;
const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

export function replyText(reply: SmtpReply): string {
  const text = reply.message.replace(/[\r\n\t\x00-\x1f\x7f]+/g, ' ').trim();
  const clipped = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
  return `${reply.enhanced} ${clipped}`;
}

export function replyError(reply: SmtpReply): SmtpReplyError {
  const error = new Error(replyText(reply)) as SmtpReplyError;
  error.responseCode = reply.code;
  return error;
}

export const REPLIES = {
  tooManyRecipients: (max: number): SmtpReply => ({ code: 452, enhanced: '4.5.3', message: `too many recipients: at most ${max} per message` }),
  tooBig: (max: number): SmtpReply => ({ code: 552, enhanced: '5.3.4', message: `message exceeds the maximum size of ${max} bytes` }),
  headerTooBig: (max: number): SmtpReply => ({ code: 552, enhanced: '5.3.4', message: `message header exceeds ${max} bytes` }),
  lineTooLong: (max: number): SmtpReply => ({ code: 552, enhanced: '5.3.4', message: `a line of the message exceeds ${max} bytes` }),
  checkFailed: (): SmtpReply => ({ code: 451, enhanced: '4.3.0', message: 'the content check failed; try again later' }),
  scannerUnavailable: (): SmtpReply => ({ code: 451, enhanced: '4.3.0', message: 'the virus scanner is unavailable; try again later' }),
  quarantineUnavailable: (): SmtpReply => ({ code: 451, enhanced: '4.3.0', message: 'the quarantine cannot store the message; try again later' }),
} as const;

let patched = false;

/** Servers created with this option set greet at once (see keepOwnEnhancedCodes). */
export const GREET_AT_ONCE = Symbol.for('hedgerow.smtp.greetAtOnce');

interface ConnectionInternals {
  send(code: number, data?: unknown, context?: unknown): void;
  init(): void;
  connectionReady(): void;
  _setListeners(callback: () => void): void;
  _server: { options: Record<string | symbol, unknown>; connections: Set<unknown> };
  name: string;
}

/**
 * Two adjustments to smtp-server's connections, made once per process:
 * - it derives the enhanced status code from the reply code alone (550 → 5.1.1 "mailbox
 *   unavailable"), which would misstate a policy rejection (5.7.1); a reply text that already
 *   starts with an enhanced code keeps it and gets no second one;
 * - it holds every greeting back 100 ms to catch clients that talk too soon, an anti-spam
 *   measure for servers facing the internet. The filter sits behind Postfix, which opens a
 *   connection for each message it proxies, so the pause would be added to every message; a
 *   server whose options carry GREET_AT_ONCE greets as soon as the connection is set up.
 * Every other reply and every other server is unchanged.
 */
export function keepOwnEnhancedCodes(): void {
  if (patched) return;
  patched = true;
  const proto = SMTPConnection.prototype as unknown as ConnectionInternals;
  const send = proto.send;
  proto.send = function sendKeepingEnhancedCode(this: ConnectionInternals, code: number, data?: unknown, context?: unknown) {
    const own = typeof data === 'string' && ENHANCED_PREFIX.test(data);
    return send.call(this, code, data, own ? false : context);
  };
  const init = proto.init;
  proto.init = function initGreetingAtOnce(this: ConnectionInternals) {
    if (this._server.options[GREET_AT_ONCE] !== true) return init.call(this);
    this._setListeners(() => {
      const max = this._server.options.maxClients;
      if (typeof max === 'number' && max > 0 && this._server.connections.size > max) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      this.connectionReady();
    });
  };
}
