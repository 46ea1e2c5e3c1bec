// Raw clients for the load tests: connections from a chosen 127.0.0.x address, one HTTP/1.1
// exchange at a time on a kept-alive socket, CONNECT tunnels, slow senders, and bounded pools.
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';

export const MiB = 1024 * 1024;

/** The soft limit on open files of this process (`ulimit -n`), or null when it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/** A TCP connection to 127.0.0.1:port from `localAddress` (any 127.0.0.0/8 address works on Linux). */
export function connectFrom(port: number, localAddress = '127.0.0.1', timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection from ${localAddress} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** the server closed the connection after (or instead of) answering */
  closed: boolean;
}

/**
 * Reads one HTTP/1.1 response from `socket` (Content-Length bodies, or up to the close). Resolves
 * with status 0 when the socket closes before a whole response head arrives.
 */
export function readResponse(socket: Socket, timeoutMs = 10_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let data: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        if (!closed) return;
        settled = true;
        cleanup();
        return resolve({ status: 0, headers: {}, body: text, closed: true });
      }
      const lines = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
      const bodyBytes = data.length - (Buffer.byteLength(text.slice(0, end), 'latin1') + 4);
      if (length !== null ? bodyBytes < length && !closed : !closed) return;
      settled = true;
      cleanup();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      resolve({ status, headers, body: data.subarray(end + 4, length === null ? undefined : end + 4 + length).toString('utf8'), closed });
    };
    const onData = (chunk: Buffer): void => {
      data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
      finish(false);
    };
    const onClose = (): void => finish(true);
    const onError = (): void => finish(true);
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(new Error(`no whole response within ${timeoutMs} ms (got ${data.length} bytes)`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('end', onClose);
    socket.on('close', onClose);
    socket.on('error', onError);
    if (socket.destroyed) finish(true);
  });
}

/** One absolute-form GET on a kept-alive connection to the proxy. */
export async function getOn(socket: Socket, url: string, headers: Record<string, string> = {}): Promise<Exchange> {
  const host = new URL(url).host;
  let head = `GET ${url} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  const answer = readResponse(socket);
  socket.write(`${head}\r\n`);
  return answer;
}

/**
 * CONNECT through the proxy on `socket`. A 200 resolves at the end of its head (the tunnel is then
 * open); any other answer is read to the close, its text in `body`.
 */
export async function connectOn(socket: Socket, authority: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let data = '';
    let status = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer to CONNECT ${authority}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0 || status !== 0) return;
      status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      if (status !== 200) return;
      cleanup();
      resolve({ status, headers: {}, body: '', closed: false });
    };
    const onClose = (): void => {
      cleanup();
      const end = data.indexOf('\r\n\r\n');
      resolve({ status, headers: {}, body: end < 0 ? data : data.slice(end + 4), closed: true });
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => undefined);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

/** Milliseconds until `socket` closes (any reason), or null when it is still open after `boundMs`. */
export function closedWithin(socket: Socket, boundMs: number, since = performance.now()): Promise<number | null> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(performance.now() - since);
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      socket.off('end', onClose);
      resolve(null);
    }, Math.max(0, boundMs - (performance.now() - since)));
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(performance.now() - since);
    };
    socket.once('close', onClose);
    socket.once('end', onClose);
  });
}

/**
 * Writes `bytes` one at a time, `intervalMs` apart, until all are sent or the socket closes.
 * Resolves with how many were written.
 */
export function trickle(socket: Socket, bytes: Buffer, intervalMs: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const step = (): void => {
      if (socket.destroyed || !socket.writable || sent >= bytes.length) {
        clearInterval(timer);
        return resolve(sent);
      }
      socket.write(bytes.subarray(sent, sent + 1));
      sent++;
    };
    const timer = setInterval(step, intervalMs);
    socket.once('close', () => {
      clearInterval(timer);
      resolve(sent);
    });
    step();
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; results in order. */
export async function pool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

/** Polls `check` every 50 ms until it is true or `boundMs` passes; says whether it became true. */
export async function eventually(check: () => Promise<boolean> | boolean, boundMs: number): Promise<boolean> {
  const end = performance.now() + boundMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
