// What a circumvention attempt was, for the proposal a decider reads: an address written as a
// number, a DNS-over-HTTPS resolver, a web proxy, a VPN, a translator used as a proxy, or a
// tunnel the proxy itself flagged (TLS name ≠ CONNECT host, non-TLS on port 443).
import { isIP } from 'node:net';
import type { DecisionEvent } from '../../engine/index.ts';
import type { AttemptKind, CircumventionAttempt } from './sanction-types.ts';

// Category names the reference catalogue and most policies use for circumvention services.
const KNOWN_CATEGORIES: readonly string[] = ['doh', 'vpn', 'proxy', 'translator'];

function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0;
}

export function attemptKind(event: Pick<DecisionEvent, 'host' | 'categories' | 'point' | 'action'>): AttemptKind {
  if (isIpLiteral(event.host)) return 'ip-literal';
  for (const name of KNOWN_CATEGORIES) if (event.categories.includes(name)) return name;
  // The policy did not block the host, so the circumvention was the proxy's own finding.
  if (event.point === 'proxy' && event.action !== 'block') return 'sni-mismatch';
  return event.categories[0] ?? 'other';
}

export function attemptOf(event: DecisionEvent): CircumventionAttempt {
  return { eventId: event.id, at: event.at, host: event.host, kind: attemptKind(event), rule: event.rule, point: event.point };
}
