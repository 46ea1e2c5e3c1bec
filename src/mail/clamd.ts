// A client for ClamAV's clamd: INSTREAM over a unix socket or TCP. The message is sent in chunks
// (4-byte big-endian length, then the bytes; a zero length ends it) and clamd answers one line:
// `stream: OK`, `stream: <signature> FOUND` or `… ERROR`.
import { createConnection, type Socket } from 'node:net';
import { HedgerowError } from '../errors/index.ts';

export interface ClamdOptions {
  /** unix socket path (takes precedence over host and port) */
  socket?: string;
  host?: string;
  port?: number;
  /** the whole exchange, connect to answer (default 30 s) */
  timeoutMs?: number;
  /** bytes per INSTREAM chunk (default 64 KiB; clamd's StreamMaxLength bounds the total) */
  chunkBytes?: number;
}

export interface ClamdResult {
  infected: boolean;
  /** the signature name when infected */
  signature: string | null;
  /** clamd's answer, as sent */
  reply: string;
}

export interface ClamdClient {
  scan(data: Uint8Array): Promise<ClamdResult>;
  ping(): Promise<boolean>;
  readonly where: string;
}

export function createClamdClient(options: ClamdOptions): ClamdClient {
  if (!options.socket && !(options.host && options.port)) {
    throw new HedgerowError('HR_CONFIG_INVALID', 'clamd needs a unix socket path or a host and port');
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const where = options.socket ? `unix:${options.socket}` : `${options.host}:${options.port}`;

  const exchange = (write: (socket: Socket) => void): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = options.socket ? createConnection({ path: options.socket }) : createConnection({ host: options.host!, port: options.port! });
      const parts: Buffer[] = [];
      let done = false;
      const fail = (why: string, cause?: unknown) => {
        if (done) return;
        done = true;
        socket.destroy();
        reject(new HedgerowError('HR_MAIL_CLAMD', `clamd at \`${where}\`: ${why}`, { cause }));
      };
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      socket.on('error', (error) => fail(error.message, error));
      socket.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        // replies of the `z` commands end with NUL
        if (chunk.includes(0)) socket.end();
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (done) return;
        const text = Buffer.concat(parts).toString('utf8').replace(/\0+$/, '').trim();
        if (text === '') return fail('the connection closed without an answer');
        done = true;
        resolve(text);
      });
      socket.once('connect', () => write(socket));
    });

  return {
    where,
    async ping() {
      return (await exchange((socket) => socket.write('zPING\0'))) === 'PONG';
    },
    async scan(data) {
      const reply = await exchange((socket) => {
        socket.write('zINSTREAM\0');
        for (let at = 0; at < data.length; at += chunkBytes) {
          const chunk = data.subarray(at, Math.min(at + chunkBytes, data.length));
          const size = Buffer.allocUnsafe(4);
          size.writeUInt32BE(chunk.length, 0);
          socket.write(size);
          socket.write(chunk);
        }
        socket.write(Buffer.alloc(4));
      });
      const found = /^stream: (.+) FOUND$/.exec(reply);
      if (found) return { infected: true, signature: found[1]!, reply };
      if (/^stream: OK$/.test(reply)) return { infected: false, signature: null, reply };
      throw new HedgerowError('HR_MAIL_CLAMD', `clamd at \`${where}\` could not scan the message: ${reply}`);
    },
  };
}
