// One filter check through the running DNS filter: an A query for the test's host, sent from a
// chosen local address (the DNS filter knows people only by their address), read as the filter
// answered it. A block is the block page's address, or NXDOMAIN with the filter's own synthetic
// SOA; anything else the filter passed on, so it allowed the name.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { ProbeAnswer } from './proxy-probe.ts';

// NOTE: the DNS filter's block answers carry an SOA naming this host (src/dns/wire.ts); a real
// zone never can, since `.invalid` is reserved (RFC 6761).
const BLOCK_SOA_MNAME = 'block.hedgerow.invalid';

export type DnsBlockAnswer = 'nxdomain' | { a: string };

const RCODE_NAMES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

export function probeDns(
  server: { host: string; port: number },
  name: string,
  options: { localAddress?: string; blockAnswer: DnsBlockAnswer; timeoutMs: number },
): Promise<ProbeAnswer> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name, class: 'IN' }],
  });
  const socket = dgram.createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
  const started = performance.now();
  return new Promise<ProbeAnswer>((resolve) => {
    let settled = false;
    const finish = (answer: ProbeAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => {
      finish({ seen: 'error', status: null, latencyMs: null, rule: null, clauses: [], detail: `no answer from the DNS filter within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    socket.on('error', (error) => {
      finish({ seen: 'error', status: null, latencyMs: null, rule: null, clauses: [], detail: `the DNS filter could not be asked: ${error.message}` });
    });
    socket.on('message', (message, remote) => {
      if (remote.port !== server.port) return;
      let packet: dnsPacket.DecodedPacket;
      try {
        packet = dnsPacket.decode(message);
      } catch {
        return;
      }
      // answers to other queries (or forged ones) are not ours
      if (packet.id !== id || packet.type !== 'response') return;
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      finish(classify(packet, options.blockAnswer, latencyMs));
    });
    socket.bind({ port: 0, ...(options.localAddress ? { address: options.localAddress } : {}) }, () => {
      socket.send(query, server.port, server.host);
    });
  });
}

function classify(packet: dnsPacket.DecodedPacket, blockAnswer: DnsBlockAnswer, latencyMs: number): ProbeAnswer {
  const rcode = (packet.flags ?? 0) & 0x0f;
  const status = RCODE_NAMES[rcode] ?? String(rcode);
  const base = { status, latencyMs, rule: null, clauses: [] as string[] };
  if ((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) return { ...base, seen: 'error', detail: 'the answer was truncated' };
  if (rcode === 0) {
    const addresses = (packet.answers ?? []).flatMap((answer) => (answer.type === 'A' ? [String(answer.data)] : []));
    if (blockAnswer !== 'nxdomain' && addresses.includes(blockAnswer.a)) return { ...base, seen: 'blocked', detail: `answered with the block page's address ${blockAnswer.a}` };
    return { ...base, seen: 'allowed', detail: addresses.length > 0 ? `resolved to ${addresses.slice(0, 4).join(', ')}` : 'passed on; no address for the name' };
  }
  if (rcode === 3) {
    const soa = (packet.authorities ?? []).find((record) => record.type === 'SOA') as { data?: { mname?: unknown } } | undefined;
    const mname = String(soa?.data?.mname ?? '').toLowerCase();
    if (mname === BLOCK_SOA_MNAME) return { ...base, seen: 'blocked', detail: 'answered NXDOMAIN by the filter' };
    return { ...base, seen: 'allowed', detail: 'passed on; the upstream resolver says the name does not exist' };
  }
  if (rcode === 2) return { ...base, seen: 'error', detail: 'SERVFAIL: the upstream resolver failed, or the filter could not decide' };
  return { ...base, seen: 'error', detail: `the DNS filter answered ${status}` };
}
