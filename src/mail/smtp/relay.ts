// Hands a message to the next hop (Postfix's reinjection smtpd) with its envelope unchanged,
// through nodemailer's SMTP connection. The filter answers its own client only after this
// resolves, so a message is never acknowledged and then lost: any failure here becomes a 4xx
// (try again later) or the next hop's own 5xx.
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpReply } from './smtp-reply.ts';

export interface RelayTarget {
  host: string;
  port: number;
  /** the name given in EHLO */
  name?: string;
  /** connect, greeting and idle time limit (default 30 s) */
  timeoutMs?: number;
}

export interface RelayEnvelope {
  /** empty for the null sender (bounces) */
  from: string;
  to: readonly string[];
  /** the client declared BODY=8BITMIME */
  eightBit?: boolean;
}

export interface RelayResult {
  accepted: string[];
  /** recipients the next hop refused while taking the message for the others */
  refused: Array<{ recipient: string; response: string }>;
  response: string;
}

/** A relay failure, with the reply the filter gives its own client. */
export class RelayFailure extends Error {
  readonly reply: SmtpReply;
  readonly permanent: boolean;
  constructor(reply: SmtpReply, permanent: boolean, cause: unknown) {
    super(reply.message, { cause });
    this.name = 'RelayFailure';
    this.reply = reply;
    this.permanent = permanent;
  }
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

function failure(error: SmtpError, target: RelayTarget): RelayFailure {
  const where = `${target.host}:${target.port}`;
  const response = (error.response ?? '').replace(/\s+/g, ' ').trim();
  if (error.responseCode !== undefined && error.responseCode >= 500 && error.responseCode !== 503) {
    // The next hop refused the message for good; say so with its own words.
    const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})/.exec(response)?.[1] ?? '5.0.0';
    return new RelayFailure({ code: error.responseCode >= 550 ? error.responseCode : 554, enhanced, message: `the next hop refused the message: ${response}` }, true, error);
  }
  const detail = response || error.code || error.message;
  return new RelayFailure({ code: 451, enhanced: '4.4.1', message: `the next hop (${where}) did not take the message (${detail}); try again later` }, false, error);
}

interface Conn {
  connection: SMTPConnection;
  alive: boolean;
  idleTimer: NodeJS.Timeout | null;
}

function openConnection(target: RelayTarget): Promise<Conn> {
  const timeout = target.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection({
      host: target.host,
      port: target.port,
      // the next hop is the local Postfix; TLS there would only cost time
      ignoreTLS: true,
      name: target.name,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      logger: false,
    });
    const conn: Conn = { connection, alive: false, idleTimer: null };
    let settled = false;
    const dead = (error: SmtpError) => {
      conn.alive = false;
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      if (!settled) {
        settled = true;
        reject(error);
      }
    };
    connection.on('error', (error: SmtpError) => dead(error));
    connection.on('end', () => dead(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' })));
    connection.connect(() => {
      settled = true;
      conn.alive = true;
      resolve(conn);
    });
  });
}

function sendOn(conn: Conn, envelope: RelayEnvelope, raw: Uint8Array): Promise<RelayResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onGone = () => {
      if (settled) return;
      settled = true;
      reject(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' }));
    };
    conn.connection.once('end', onGone);
    conn.connection.send(
      { from: envelope.from === '' ? false : envelope.from, to: [...envelope.to], size: raw.length, use8BitMime: envelope.eightBit === true },
      Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
      (error, info) => {
        conn.connection.removeListener('end', onGone);
        if (settled) return;
        settled = true;
        if (error) return reject(error);
        resolve({
          accepted: info.accepted,
          refused: (info.rejectedErrors ?? []).map((e) => ({ recipient: String((e as { recipient?: string }).recipient ?? ''), response: String(e.response ?? e.message) })),
          response: info.response,
        });
      },
    );
  });
}

/**
 * Connections to the next hop, kept open between messages: Postfix starts an smtpd for each
 * new connection, so reusing them saves the handshake on every message. A connection is reused
 * only after a clean 250 and only while it has been idle for less than `idleMs`, well inside
 * Postfix's own idle limit (smtpd_timeout, 300 s); anything unusual closes it.
 */
export class RelayPool {
  private readonly idle: Conn[] = [];
  private closed = false;

  constructor(
    private readonly target: RelayTarget,
    private readonly options: { maxIdle?: number; idleMs?: number } = {},
  ) {}

  async send(envelope: RelayEnvelope, raw: Uint8Array): Promise<RelayResult> {
    let conn: Conn | undefined;
    while ((conn = this.idle.pop()) && !conn.alive);
    try {
      if (!conn) conn = await openConnection(this.target);
      else if (conn.idleTimer) clearTimeout(conn.idleTimer);
      const result = await sendOn(conn, envelope, raw);
      this.release(conn);
      return result;
    } catch (error) {
      if (conn) {
        conn.alive = false;
        conn.connection.close();
      }
      throw failure(error as SmtpError, this.target);
    }
  }

  private release(conn: Conn): void {
    if (this.closed || !conn.alive || this.idle.length >= (this.options.maxIdle ?? 16)) {
      conn.alive = false;
      conn.connection.quit();
      return;
    }
    conn.idleTimer = setTimeout(() => {
      conn.alive = false;
      conn.connection.quit();
    }, this.options.idleMs ?? 10_000);
    conn.idleTimer.unref();
    this.idle.push(conn);
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) {
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      conn.alive = false;
      conn.connection.quit();
    }
  }
}

/** One message on a connection of its own (notifications, releases from the quarantine). */
export async function relayMessage(target: RelayTarget, envelope: RelayEnvelope, raw: Uint8Array): Promise<RelayResult> {
  let conn: Conn | undefined;
  try {
    conn = await openConnection(target);
    const result = await sendOn(conn, envelope, raw);
    conn.connection.quit();
    return result;
  } catch (error) {
    conn?.connection.close();
    throw failure(error as SmtpError, target);
  }
}
