// A bug reached by some odd request must cost that request only, never the process: every
// server event handler of the proxy (plain and inspected) runs inside one of these.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.ts';
import { sendBody } from './respond.ts';

export function guardedRequest(ctx: ProxyContext, handle: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res);
    } catch {
      ctx.stats.internalErrors++;
      if (!res.headersSent) sendBody(res, 500, 'the web filter could not handle this request\n', false, ['Connection', 'close']);
      else res.destroy();
    }
  };
}

export function guardedSocket(ctx: ProxyContext, handle: (req: IncomingMessage, socket: Socket, head: Buffer) => void) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      handle(req, socket as Socket, head);
    } catch {
      ctx.stats.internalErrors++;
      socket.destroy();
    }
  };
}
