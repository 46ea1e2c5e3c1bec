// Who is asking, on a raw socket (CONNECT and WebSocket upgrades): identify, answer 407 when
// credentials are needed, 503 when identification fails, else go on with the person. The socket is
// paused while an asynchronous identification (a directory bind) is under way.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Person } from '../engine/types.ts';
import { personFor, type ClientConnection, type ProxyContext } from './context.ts';
import { scanRequest } from './http-request.ts';
import { proxyAuthenticateValue } from './proxy-auth.ts';
import { writeRawResponse } from './respond.ts';

const identifyFailed = 'the filter could not check who you are\n';

export function withPersonOnSocket(ctx: ProxyContext, conn: ClientConnection, req: IncomingMessage, socket: Socket, then: (person: Person) => void): void {
  let person: Person | null | Promise<Person | null>;
  try {
    person = personFor(ctx, conn, scanRequest(req.rawHeaders).auth);
  } catch {
    return writeRawResponse(socket, 503, identifyFailed);
  }
  const go = (p: Person | null): void => {
    if (p === null) {
      ctx.stats.authChallenges++;
      return writeRawResponse(socket, 407, 'proxy authentication required\n', ['Proxy-Authenticate', proxyAuthenticateValue(ctx.options.realm ?? 'hedgerow')]);
    }
    then(p);
  };
  if (person !== null && typeof (person as Promise<Person | null>).then === 'function') {
    socket.pause();
    (person as Promise<Person | null>).then(
      (p) => {
        socket.resume();
        go(p);
      },
      () => writeRawResponse(socket, 503, identifyFailed),
    );
  } else go(person as Person | null);
}
