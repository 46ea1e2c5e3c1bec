// Caps on concurrent client connections, in total and per client address, so that one device (or
// a flood from one address) cannot take every socket the proxy has while everyone else waits.
//
// A connection over a cap is not served. The first few of them (per address and in total) are
// kept just long enough to answer their request with a 503 page that says why; past that they are
// closed at once, so that a flood costs no more than a few sockets for a few seconds.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ProxyContext } from './context.ts';
import { sendError, writeRawResponse } from './respond.ts';

/** `serve`; over a cap with a 503 page (`client` or `total`); or closed at once (`drop`) */
export type Admission = 'serve' | 'client' | 'total' | 'drop';

/** over-cap connections of one address that are answered with a page before the rest are dropped */
export const refusedPagesPerClient = 16;
/** over-cap connections in total that are answered with a page before the rest are dropped */
export const refusedPagesTotal = 256;

interface ClientCount {
  served: number;
  refused: number;
}

export class ConnectionCaps {
  readonly #maxTotal: number;
  readonly #maxPerClient: number;
  readonly #clients = new Map<string, ClientCount>();
  #served = 0;
  #refused = 0;

  constructor(maxTotal: number, maxPerClient: number) {
    this.#maxTotal = maxTotal;
    this.#maxPerClient = maxPerClient;
  }

  /** Counts a new connection from `ip` and says what to do with it; `release` it on close. */
  admit(ip: string): Admission {
    let count = this.#clients.get(ip);
    if (count === undefined) {
      count = { served: 0, refused: 0 };
      this.#clients.set(ip, count);
    }
    const over: Admission | null = count.served >= this.#maxPerClient ? 'client' : this.#served >= this.#maxTotal ? 'total' : null;
    if (over === null) {
      count.served++;
      this.#served++;
      return 'serve';
    }
    if (count.refused >= refusedPagesPerClient || this.#refused >= refusedPagesTotal) {
      if (count.served === 0 && count.refused === 0) this.#clients.delete(ip);
      return 'drop';
    }
    count.refused++;
    this.#refused++;
    return over;
  }

  release(ip: string, admission: Admission): void {
    if (admission === 'drop') return;
    const count = this.#clients.get(ip);
    if (count === undefined) return;
    if (admission === 'serve') {
      count.served--;
      this.#served--;
    } else {
      count.refused--;
      this.#refused--;
    }
    if (count.served <= 0 && count.refused <= 0) this.#clients.delete(ip);
  }

  /** connections being served now, in total and from `ip` */
  served(ip?: string): number {
    return ip === undefined ? this.#served : (this.#clients.get(ip)?.served ?? 0);
  }

  /** addresses with a connection open (served or waiting for their refusal) */
  get clients(): number {
    return this.#clients.size;
  }
}

/** seconds a refused client is asked to wait before trying again */
const retryAfterSeconds = '10';

function refusalPage(ctx: ProxyContext, over: 'client' | 'total', ip: string) {
  return {
    status: 503,
    title: 'The web filter is busy',
    message:
      over === 'client'
        ? `Too many connections are open from your device (${ip}) at once, so this one was not served.`
        : 'The web filter has as many connections open as it is set up to serve, so this one was not served.',
    hint:
      over === 'client'
        ? 'Close some tabs or apps that use the internet and try again. If this keeps happening, tell the IT team.'
        : 'Try again in a few seconds. If this keeps happening, tell the IT team.',
    at: ctx.now(),
    timeZone: ctx.timeZone,
  };
}

/** The 503 for a request on a connection over a cap; the connection is then closed. */
export function refuseOverCapacity(ctx: ProxyContext, res: ServerResponse, over: 'client' | 'total', ip: string, html: boolean): void {
  ctx.stats.overCapacity++;
  res.shouldKeepAlive = false;
  sendError(res, refusalPage(ctx, over, ip), html, ['Connection', 'close', 'Retry-After', retryAfterSeconds]);
}

/** The same for a CONNECT or an upgrade, as text on the raw socket. */
export function refuseOverCapacityRaw(ctx: ProxyContext, socket: Socket, over: 'client' | 'total', ip: string): void {
  ctx.stats.overCapacity++;
  const text =
    over === 'client'
      ? `the web filter is busy: too many connections are open from ${ip} at once; close some and try again\n`
      : 'the web filter is busy: it has as many connections open as it is set up to serve; try again in a few seconds\n';
  writeRawResponse(socket, 503, text, ['Retry-After', retryAfterSeconds]);
}
