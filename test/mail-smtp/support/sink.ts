// The final destination in the tests: an SMTP server on 127.0.0.1 that keeps every message with
// its envelope, and can be told to refuse or be stopped.
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  xforward: Record<string, string>;
}

export interface Sink {
  port: number;
  messages: SunkMessage[];
  /** resolves once `count` messages have arrived in total */
  waitFor(count: number, timeoutMs?: number): Promise<SunkMessage[]>;
  /** refuse the listed recipients with this reply */
  refuse: Map<string, { code: number; message: string }>;
  /** SMTP connections accepted so far */
  connections(): number;
  close(): Promise<void>;
}

export async function startSink(port = 0): Promise<Sink> {
  const messages: SunkMessage[] = [];
  const refuse = new Map<string, { code: number; message: string }>();
  let wake: Array<() => void> = [];
  let connections = 0;
  const server = new SMTPServer({
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    useXForward: true,
    // a stopped sink drops its clients at once, like a restarted next hop
    closeTimeout: 200,
    maxAllowedUnauthenticatedCommands: false,
    logger: false,
    size: 100 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const refusal = refuse.get(address.address);
      if (refusal) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const xforward: Record<string, string> = {};
        for (const [key, value] of session.xForward) if (value !== false) xforward[key] = String(value);
        messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks), xforward });
        const woken = wake;
        wake = [];
        for (const w of woken) w();
        callback(null, 'sunk');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    messages,
    refuse,
    connections: () => connections,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`the sink got ${messages.length} messages, waited for ${count}`)), timeoutMs);
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(deadline);
            resolve(messages.slice());
          } else wake.push(check);
        };
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
