// State shared by the HTTP, CONNECT and WebSocket handlers of one running proxy.
import type { Agent, Server } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Person } from '../engine/types.ts';
import type { DecideFunction, InspectionOptions, ProxyLimits, ProxyOptions } from './options.ts';
import type { LeafIssuer, LeafStats } from './certificate-authority.ts';
import type { TargetGuard, UpstreamFailure } from './upstream.ts';
import type { WarnGrace } from './warn-grace.ts';
import { parseProxyAuthorization } from './proxy-auth.ts';

export interface ProxyStats {
  connections: number;
  activeConnections: number;
  requests: number;
  allowed: number;
  blocked: number;
  warned: number;
  /** requests let through because of an earlier "continue" on a warn page */
  warnContinued: number;
  tunnels: number;
  activeTunnels: number;
  /** tunnels whose SNI differed from the CONNECT host */
  sniMismatches: number;
  upgrades: number;
  refusedClients: number;
  /** connections over `maxConnectionsPerClient` or `maxConnections`, answered 503 and closed */
  overCapacity: number;
  /** connections over a cap that were closed at once (a flood past the few that get a page) */
  overCapacityDropped: number;
  /** tunnels closed because their TLS ClientHello had not arrived whole within `peekTimeoutMs` (or before the client left) */
  peekTimeouts: number;
  authChallenges: number;
  badRequests: number;
  decideErrors: number;
  /** requests that hit an unexpected error in the proxy itself (answered 500) */
  internalErrors: number;
  sinkErrors: number;
  upstreamErrors: Record<UpstreamFailure, number>;
  /** tunnels whose TLS was terminated and whose requests were decided one by one */
  inspected: number;
  /** inspected tunnels whose client gave up during the handshake (a device without the school CA, say) */
  inspectionHandshakeFailures: number;
  /** host certificates (null without inspection) */
  certificates: LeafStats | null;
}

export function newStats(): ProxyStats {
  return {
    connections: 0,
    activeConnections: 0,
    requests: 0,
    allowed: 0,
    blocked: 0,
    warned: 0,
    warnContinued: 0,
    tunnels: 0,
    activeTunnels: 0,
    sniMismatches: 0,
    upgrades: 0,
    refusedClients: 0,
    overCapacity: 0,
    overCapacityDropped: 0,
    peekTimeouts: 0,
    authChallenges: 0,
    badRequests: 0,
    decideErrors: 0,
    internalErrors: 0,
    sinkErrors: 0,
    upstreamErrors: { dns: 0, refused: 0, timeout: 0, forbidden: 0, loop: 0, reset: 0, certificate: 0, tls: 0, other: 0 },
    inspected: 0,
    inspectionHandshakeFailures: 0,
    certificates: null,
  };
}

export interface ProxyContext {
  readonly options: ProxyOptions;
  readonly limits: ProxyLimits;
  decide: DecideFunction;
  readonly now: () => number;
  readonly resolve: (host: string) => Promise<string[]>;
  guard: TargetGuard;
  readonly grace: WarnGrace;
  readonly warnGraceMs: number;
  readonly stats: ProxyStats;
  readonly agent: Agent;
  readonly tunnels: Set<Socket>;
  readonly timeZone: string;
  readonly connectPorts: Set<number> | null;
  /** TLS inspection's parts, or null when it is off */
  inspection: Inspection | null;
}

export interface Inspection {
  readonly options: InspectionOptions;
  readonly issuer: LeafIssuer;
  /** the HTTP server decrypted tunnels are fed into */
  readonly server: Server;
  /** keep-alive pool for upstream https, verifying certificates */
  readonly agent: HttpsAgent;
}

/** What the proxy knows about one client connection. */
export interface ClientConnection {
  ip: string;
  allowed: boolean;
  /** over a connection cap: its request is answered 503 and the connection closed */
  overCap?: 'client' | 'total';
  /** the Proxy-Authorization value the cached person was identified with ('' for none) */
  authKey: string | undefined;
  person: Person | null;
  personAt: number;
}

/** identity is re-asked after this long on a long-lived keep-alive connection */
const identityTtlMs = 60_000;

export const clientConnections = new WeakMap<Socket, ClientConnection>();

/**
 * The person on this connection, from cache when the credentials are unchanged. null means
 * "ask for credentials" (407).
 */
export function personFor(ctx: ProxyContext, conn: ClientConnection, authHeader: string | undefined): Person | null | Promise<Person | null> {
  const key = authHeader ?? '';
  const now = ctx.now();
  if (conn.authKey === key && now - conn.personAt < identityTtlMs) return conn.person;
  const finish = (found: Person | null): Person | null => {
    const person = found ?? (ctx.options.requireAuth ? null : (ctx.options.anonymous ?? { role: 'guest' }));
    conn.person = person;
    conn.authKey = key;
    conn.personAt = now;
    return person;
  };
  const result = ctx.options.identify(conn.ip, parseProxyAuthorization(authHeader));
  if (result !== null && typeof (result as Promise<Person | null>).then === 'function') return (result as Promise<Person | null>).then(finish);
  return finish(result as Person | null);
}

/** who a warn grace belongs to */
export function graceKey(person: Person, clientIp: string): string {
  return person.id !== undefined ? `p:${person.id}` : `ip:${clientIp}`;
}
