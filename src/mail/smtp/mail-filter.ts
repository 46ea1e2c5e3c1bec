// The SMTP filter beside Postfix, in one of two modes:
//   before-queue (`smtpd_proxy_filter`): outbound mail is judged while the sender's client waits
//     at end-of-DATA, so a refusal reaches the sender at send time with the clause;
//   after-queue (`content_filter`): Postfix has queued the mail already; the filter judges it and
//     reinjects what may pass into Postfix's second smtpd.
// Either way the filter says 250 only once the next hop (or the quarantine) has the message, so
// a failure anywhere is a 4xx and Postfix or the client keeps its copy: nothing is lost.
import { hostname } from 'node:os';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { HedgerowError } from '../../errors/index.ts';
import type { ClamdClient, ClamdResult } from '../clamd.ts';
import { headerProblem, readMessage } from './message-reader.ts';
import { buildNotification, type NotificationInput } from './notification.ts';
import { RelayFailure, RelayPool, relayMessage, type RelayTarget } from './relay.ts';
import { GREET_AT_ONCE, keepOwnEnhancedCodes, replyError, replyText, REPLIES, type SmtpReply } from './smtp-reply.ts';
import type { MailEnvelope, MailInspector, MailVerdict } from '../types.ts';

export type MailFilterMode = 'before-queue' | 'after-queue';

export interface MailLimits {
  maxMessageBytes: number;
  maxRecipients: number;
  maxHeaderBytes: number;
  maxLineBytes: number;
  /** a client silent this long is disconnected */
  idleTimeoutMs: number;
  inspectTimeoutMs: number;
  relayTimeoutMs: number;
  maxClients: number;
}

export const DEFAULT_MAIL_LIMITS: Readonly<MailLimits> = Object.freeze({
  maxMessageBytes: 25 * 1024 * 1024,
  maxRecipients: 100,
  maxHeaderBytes: 100 * 1024,
  maxLineBytes: 64 * 1024,
  // longer than Postfix's smtpd_proxy_timeout (100 s), so Postfix gives up first and says so
  idleTimeoutMs: 120_000,
  inspectTimeoutMs: 30_000,
  relayTimeoutMs: 30_000,
  maxClients: 200,
});

/** Where stopped mail goes; the sealed quarantine in src/mail/quarantine is one. */
export interface QuarantineSink {
  hold(input: { mode: MailFilterMode; envelope: MailEnvelope; verdict: MailVerdict; raw: Uint8Array }): Promise<{ id: string }>;
}

export type MailOutcome = 'delivered' | 'warned' | 'rejected' | 'quarantined' | 'deferred';

/** One message's fate, for the decision log and the operator; never the content. */
export interface MailFilterEvent {
  at: number;
  mode: MailFilterMode;
  session: string;
  envelope: MailEnvelope;
  size: number;
  outcome: MailOutcome;
  reply: SmtpReply;
  verdict: Pick<MailVerdict, 'action' | 'reasons' | 'signals'> | null;
  malware: string | null;
  quarantineId: string | null;
  /** Postfix's XFORWARD values (NAME, ADDR, HELO, PROTO, SOURCE, IDENT) */
  xforward: Record<string, string>;
  durationMs: number;
  error?: string;
}

export interface MailFilterStats {
  sessions: number;
  messages: number;
  delivered: number;
  warned: number;
  rejected: number;
  quarantined: number;
  deferred: number;
  notificationsFailed: number;
}

export interface MailFilterOptions {
  mode: MailFilterMode;
  listen: { host: string; port: number };
  /** the next hop for mail that passes (and for notifications) */
  relay: RelayTarget;
  /** the inspector, or a function giving the current one (swapped on policy reload) */
  inspector: MailInspector | (() => MailInspector);
  quarantine?: QuarantineSink | null;
  clamd?: ClamdClient | null;
  /** when clamd cannot be asked: 451 (default) or pass the message unscanned */
  clamdOnError?: 'tempfail' | 'accept';
  limits?: Partial<MailLimits>;
  /** PEM key and certificate for STARTTLS; without them STARTTLS is not offered */
  tls?: { key: string | Buffer; cert: string | Buffer } | null;
  /** the name in the greeting and EHLO (default: the host name) */
  name?: string;
  /** clients allowed to send XFORWARD (default: loopback) */
  xforwardFrom?: readonly string[];
  /** after-queue mail the rules reject: quarantine it (default, no bounce) or answer 5xx so Postfix bounces */
  afterQueueReject?: 'quarantine' | 'bounce';
  /** the From of warning notifications (default `postmaster@<name>`) */
  notifyFrom?: string;
  /** default: before-queue → outbound, after-queue → inbound */
  direction?: (envelope: { mailFrom: string; rcptTo: readonly string[] }) => 'outbound' | 'inbound';
  onEvent?: (event: MailFilterEvent) => void;
  now?: () => number;
}

export interface MailFilter {
  readonly mode: MailFilterMode;
  readonly address: { host: string; port: number };
  stats(): MailFilterStats;
  close(): Promise<void>;
}

class InspectTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InspectTimeout(`no verdict within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function malwareVerdict(base: MailVerdict | null, scan: ClamdResult, size: number, at: number): MailVerdict {
  const text = `malware \`${scan.signature}\` found by ClamAV`;
  return {
    action: 'reject',
    signals: base?.signals ?? [],
    reasons: [{ text, rule: 'malware.clamav' }, ...(base?.reasons ?? [])],
    smtp: { code: 554, enhanced: '5.7.1', message: `rejected: ${text}` },
    warnings: [],
    message: base?.message ?? { subject: '', from: '', messageId: null, size },
    rules: [{ id: 'malware.clamav', action: 'reject' }, ...(base?.rules ?? [])],
    scores: base?.scores ?? { personalData: 0, phishing: 0 },
    inspectedAt: base?.inspectedAt ?? at,
  };
}

function malformedVerdict(problem: string, size: number, at: number): MailVerdict {
  return {
    action: 'reject',
    signals: [],
    reasons: [{ text: problem, rule: 'malformed' }],
    smtp: { code: 554, enhanced: '5.6.0', message: problem },
    warnings: [],
    message: { subject: '', from: '', messageId: null, size },
    rules: [{ id: 'malformed', action: 'reject' }],
    scores: { personalData: 0, phishing: 0 },
    inspectedAt: at,
  };
}

/** The verdict's own 5xx; a refusing verdict that carries no 5xx must still never read as accepted. */
function refusal(verdict: MailVerdict): SmtpReply {
  if (verdict.smtp.code >= 500 && verdict.smtp.code < 600) return { ...verdict.smtp };
  return { code: 550, enhanced: '5.7.1', message: verdict.reasons[0]?.text ?? 'stopped by the mail policy' };
}

export async function startMailFilter(options: MailFilterOptions): Promise<MailFilter> {
  keepOwnEnhancedCodes();
  const limits: MailLimits = { ...DEFAULT_MAIL_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const name = options.name ?? hostname();
  const mode = options.mode;
  const inspector = typeof options.inspector === 'function' ? options.inspector : () => options.inspector as MailInspector;
  const afterQueueReject = options.afterQueueReject ?? 'quarantine';
  const notifyFrom = options.notifyFrom ?? `postmaster@${name}`;
  const relay: RelayTarget = { ...options.relay, name: options.relay.name ?? name, timeoutMs: options.relay.timeoutMs ?? limits.relayTimeoutMs };
  const relayPool = new RelayPool(relay);
  const direction = options.direction ?? (() => (mode === 'before-queue' ? 'outbound' : 'inbound'));
  const stats: MailFilterStats = { sessions: 0, messages: 0, delivered: 0, warned: 0, rejected: 0, quarantined: 0, deferred: 0, notificationsFailed: 0 };
  const pending = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  };

  const notify = (input: Omit<NotificationInput, 'from'>) => {
    if (input.to === '') return;
    track(
      buildNotification({ ...input, from: notifyFrom })
        .then((raw) => relayMessage(relay, { from: '', to: [input.to] }, raw))
        .catch(() => {
          stats.notificationsFailed += 1;
        }),
    );
  };

  const envelopeOf = (session: SMTPServerSession): MailEnvelope => {
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const rcptTo = session.envelope.rcptTo.map((r) => r.address);
    const xforwardAddr = session.xForward.get('ADDR');
    const clientAddress = typeof xforwardAddr === 'string' && xforwardAddr !== '' ? xforwardAddr : session.remoteAddress;
    const heloName = session.hostNameAppearsAs || undefined;
    return { mailFrom, rcptTo, direction: direction({ mailFrom, rcptTo }), clientAddress, ...(heloName ? { heloName } : {}) };
  };

  const xforwardOf = (session: SMTPServerSession): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, value] of session.xForward) if (value !== false && !key.includes(':')) out[key] = String(value);
    return out;
  };

  /** Judge one message and do what the verdict says; resolves with the reply for the client. */
  const handle = async (raw: Buffer, session: SMTPServerSession, started: number): Promise<SmtpReply> => {
    const envelope = envelopeOf(session);
    let verdict: MailVerdict | null = null;
    let malware: string | null = null;
    let quarantineId: string | null = null;
    let outcome: MailOutcome = 'deferred';
    let reply: SmtpReply = REPLIES.checkFailed();
    let error: string | undefined;
    try {
      const problem = headerProblem(raw, limits.maxHeaderBytes);
      if (problem) {
        verdict = malformedVerdict(problem, raw.length, now());
      } else {
        const scanning = options.clamd ? options.clamd.scan(raw).then((r) => ({ ok: true as const, r }), (e: unknown) => ({ ok: false as const, e })) : null;
        verdict = await withTimeout(inspector().inspect(raw, envelope), limits.inspectTimeoutMs);
        if (scanning) {
          const scan = await scanning;
          if (scan.ok && scan.r.infected) {
            malware = scan.r.signature;
            verdict = malwareVerdict(verdict, scan.r, raw.length, now());
          } else if (!scan.ok) {
            error = (scan.e as Error).message;
            if ((options.clamdOnError ?? 'tempfail') === 'tempfail') {
              reply = REPLIES.scannerUnavailable();
              return reply;
            }
          }
        }
      }

      let action = verdict.action;
      if (action === 'reject' && mode === 'after-queue' && afterQueueReject === 'quarantine' && options.quarantine) action = 'quarantine';

      if (action === 'reject') {
        outcome = 'rejected';
        reply = refusal(verdict);
      } else if (action === 'quarantine') {
        if (!options.quarantine) {
          // Nowhere to hold it: refusing is the only way not to deliver it.
          outcome = 'rejected';
          reply = refusal(verdict);
        } else {
          try {
            quarantineId = (await options.quarantine.hold({ mode, envelope, verdict, raw })).id;
          } catch (cause) {
            error = (cause as Error).message;
            reply = REPLIES.quarantineUnavailable();
            return reply;
          }
          outcome = 'quarantined';
          reply = { code: 250, enhanced: '2.0.0', message: `held in quarantine as ${quarantineId}: ${verdict.reasons[0]?.text ?? 'stopped by the mail policy'}` };
          if (envelope.direction === 'outbound') notify({ to: envelope.mailFrom, kind: 'held', verdict, recipients: envelope.rcptTo, quarantineId });
        }
      } else {
        const sent = await relayPool.send({ from: envelope.mailFrom, to: envelope.rcptTo, eightBit: session.envelope.bodyType === '8bitmime' }, raw);
        outcome = action === 'warn' ? 'warned' : 'delivered';
        reply = { code: 250, enhanced: '2.0.0', message: `${action === 'warn' ? 'delivered with a warning' : 'delivered'}: ${sent.response.replace(/^\d{3}\s+(\d\.\d+\.\d+\s+)?/, '')}` };
        if (action === 'warn') notify({ to: envelope.mailFrom, kind: 'warned', verdict, recipients: envelope.rcptTo });
        if (sent.refused.length > 0) notify({ to: envelope.mailFrom, kind: 'refused-recipients', verdict, recipients: envelope.rcptTo, refused: sent.refused });
      }
      return reply;
    } catch (cause) {
      if (cause instanceof RelayFailure) {
        reply = cause.reply;
        outcome = cause.permanent ? 'rejected' : 'deferred';
      } else {
        reply = REPLIES.checkFailed();
        outcome = 'deferred';
      }
      error = (cause as Error).message;
      return reply;
    } finally {
      if (reply.code >= 400 && reply.code < 500) outcome = 'deferred';
      stats.messages += 1;
      stats[outcome] += 1;
      options.onEvent?.({
        at: now(),
        mode,
        session: session.id,
        envelope,
        size: raw.length,
        outcome,
        reply,
        verdict: verdict ? { action: verdict.action, reasons: verdict.reasons, signals: verdict.signals } : null,
        malware,
        quarantineId,
        xforward: xforwardOf(session),
        durationMs: now() - started,
        ...(error ? { error } : {}),
      });
    }
  };

  const server = new SMTPServer({
    name,
    banner: 'Hedgerow mail filter',
    size: limits.maxMessageBytes,
    hideENHANCEDSTATUSCODES: false,
    // the limit is enforced in onData, with a reply of our own
    rejectOversized: false,
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    useXForward: [...(options.xforwardFrom ?? ['127.0.0.1', '::1'])],
    disableReverseLookup: true,
    // Postfix sends every message of a client session down one connection
    maxAllowedUnauthenticatedCommands: false,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: 5_000,
    maxClients: limits.maxClients,
    logger: false,
    onConnect(_session, callback) {
      stats.sessions += 1;
      callback();
    },
    onRcptTo(_address, session, callback) {
      if (session.envelope.rcptTo.length >= limits.maxRecipients) return callback(replyError(REPLIES.tooManyRecipients(limits.maxRecipients)));
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const started = now();
      readMessage(stream, limits).then(
        async (read) => {
          if (!read.ok) {
            stats.messages += 1;
            stats.rejected += 1;
            options.onEvent?.({ at: now(), mode, session: session.id, envelope: envelopeOf(session), size: read.bytes, outcome: 'rejected', reply: read.reply, verdict: null, malware: null, quarantineId: null, xforward: xforwardOf(session), durationMs: now() - started });
            return callback(replyError(read.reply));
          }
          const reply = await handle(read.raw, session, started);
          if (reply.code >= 400) callback(replyError(reply));
          else callback(null, replyText(reply));
        },
        () => callback(replyError(REPLIES.checkFailed())),
      );
    },
  });
  // A broken client connection must never take the filter down.
  server.on('error', () => undefined);
  (server.options as unknown as Record<symbol, unknown>)[GREET_AT_ONCE] = true;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new HedgerowError('HR_MAIL_FILTER_BIND', `the ${mode} mail filter cannot listen on ${options.listen.host}:${options.listen.port}: ${error.message}`, { cause: error }));
    server.server.once('error', onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const bound = server.server.address();
  const address = { host: options.listen.host, port: typeof bound === 'object' && bound ? bound.port : options.listen.port };

  return {
    mode,
    address,
    stats: () => ({ ...stats }),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pending]);
      relayPool.close();
    },
  };
}
