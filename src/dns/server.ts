// The DNS filter: every query is decided by the engine before anything is forwarded, so a blocked
// name never reaches an upstream. Allowed names are answered from the cache or forwarded; safe-search
// services are rewritten to their restricted hosts; the Firefox DoH canary is answered NXDOMAIN for
// people for whom DoH is circumvention.
//
// When every upstream fails, a name in the cache is answered from it past its TTL (RFC 8767
// serve-stale, TTL 30 s) and any other name gets SERVFAIL; a question whose upstreams just failed
// is answered at once for a few seconds rather than waited on again (RFC 9520).
//
// NOTE: DNS cannot show a warning page. A `warn` decision is answered like a block when the block
// answer is an address (the browser lands on the block-page service, which shows the warning and
// lets the person continue); with NXDOMAIN block answers a `warn` name is allowed.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { decisionEvent } from '../engine/events.ts';
import type { Decision, Person } from '../engine/types.ts';
import { renderAnswer, storeAnswer, type StoredAnswer } from './answer.ts';
import { AnswerCache } from './cache.ts';
import { resolveDnsOptions, type DnsFilterOptions, type ResolvedDnsOptions } from './options.ts';
import { RateLimiter } from './rate-limit.ts';
import { safeSearchTarget } from './safe-search.ts';
import { Forwarder } from './upstream.ts';
import {
  CLASS_IN,
  HEADER_LENGTH,
  RCODE_BADVERS,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_AAAA,
  TYPE_ANY,
  TYPE_AXFR,
  TYPE_CNAME,
  TYPE_HTTPS,
  TYPE_IXFR,
  TYPE_SVCB,
  addressResponse,
  emptyResponse,
  encodeName,
  lowerQuestion,
  parseQuery,
  responseFlags,
  truncatedResponse,
  udpLimit,
  type ParsedQuery,
} from './wire.ts';

export interface DnsFilterStats {
  queries: number;
  udp: number;
  tcp: number;
  /** answered with the block address or NXDOMAIN by a block (or warn) decision */
  blocked: number;
  /** warn decisions answered with the block address */
  warned: number;
  safeSearch: number;
  dohCanary: number;
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
  forwarded: number;
  /** answers given past their TTL because the upstreams failed (RFC 8767) */
  staleAnswers: number;
  /** questions answered at once because their upstreams failed moments before (RFC 9520) */
  failFast: number;
  /** since when (epoch ms) every upstream exchange has failed; null while they answer */
  upstreamFailingSince: number | null;
  /** upstream exchanges failed in a row (every upstream tried); 0 after one succeeds */
  upstreamFailuresInARow: number;
  servfail: number;
  formerr: number;
  notimp: number;
  refused: number;
  rateLimited: number;
  /** packets dropped unanswered (unreadable header, responses, rate-limited UDP) */
  dropped: number;
  truncated: number;
  /** exceptions from identify/decide/sink or internal faults, answered SERVFAIL */
  errors: number;
  upstreamQueries: number;
  upstreamTimeouts: number;
  upstreamErrors: number;
  tcpRetries: number;
}

export interface DnsFilter {
  address: { host: string; port: number };
  stats(): DnsFilterStats;
  close(): Promise<void>;
}

type Transport = 'udp' | 'tcp';
type Reply = Buffer | null;

const CANARY = 'use-application-dns.net';
/** queries up to this size over TCP; anything larger is not a query (RFC 1035 names cap it far lower) */
const MAX_TCP_QUERY = 4096;
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 1024;
const ANY_TTL = 3600;
/** RFC 8482: HINFO "RFC8482" "" */
const HINFO_RFC8482 = Buffer.from([7, ...Buffer.from('RFC8482'), 0]);
const TYPE_HINFO = 13;

export async function startDnsFilter(options: DnsFilterOptions): Promise<DnsFilter> {
  const config = resolveDnsOptions(options);
  const forwarder = new Forwarder(config.upstreams, config.upstreamTimeout);
  await forwarder.start();
  const filter = new FilterCore(config, forwarder);

  const connections = new Set<net.Socket>();
  let bound: { udp: dgram.Socket; tcp: net.Server; port: number } | null = null;
  // port 0 picks a free UDP port; its TCP twin may be taken, so try again with another
  for (let attempt = 0; bound === null; attempt++) {
    try {
      bound = await bindPair(config.host, config.port, filter, connections);
    } catch (error) {
      if (config.port !== 0 || attempt >= 20 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await forwarder.close();
        throw error;
      }
    }
  }
  const { udp, tcp, port } = bound;

  return {
    address: { host: config.host, port },
    stats: () => filter.stats(),
    close: async () => {
      filter.closed = true;
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        forwarder.close(),
      ]);
    },
  };
}

function ignore(): void {}

async function bindPair(host: string, wanted: number, filter: FilterCore, connections: Set<net.Socket>): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  udp.on('message', (message, remote) => {
    let reply: Reply | Promise<Reply>;
    try {
      reply = filter.handle(message, remote.address, 'udp');
    } catch {
      filter.counters.errors++;
      return;
    }
    if (reply === null) return;
    if (!(reply instanceof Promise)) {
      udp.send(reply, remote.port, remote.address, ignore);
      return;
    }
    reply.then(
      (buffer) => {
        if (buffer && !filter.closed) udp.send(buffer, remote.port, remote.address, ignore);
      },
      () => {
        filter.counters.errors++;
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(wanted, host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  udp.on('error', () => {
    filter.counters.errors++;
  });
  const port = udp.address().port;
  const tcp = net.createServer((socket) => serveTcp(socket, filter, connections));
  tcp.maxConnections = MAX_TCP_CONNECTIONS;
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    throw error;
  }
  tcp.on('error', () => {
    filter.counters.errors++;
  });
  return { udp, tcp, port };
}

function serveTcp(socket: net.Socket, filter: FilterCore, connections: Set<net.Socket>): void {
  connections.add(socket);
  const clientIp = socket.remoteAddress ?? '';
  let buffered = Buffer.alloc(0);
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  // A query sent a byte at a time resets the idle timer with every byte: a query begun must
  // also arrive whole within the idle time, or the connection is closed (slowloris).
  let partial: NodeJS.Timeout | null = null;
  socket.on('error', ignore);
  socket.on('close', () => {
    if (partial) clearTimeout(partial);
    connections.delete(socket);
  });
  const send = (reply: Reply): void => {
    if (!reply || socket.destroyed || reply.length > 0xffff) return;
    const framed = Buffer.allocUnsafe(reply.length + 2);
    framed.writeUInt16BE(reply.length, 0);
    reply.copy(framed, 2);
    socket.write(framed);
  };
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const whole = drain();
    if (socket.destroyed) return;
    // a query left over after whole ones is a new one: its time starts now
    if (partial && (whole || buffered.length === 0)) {
      clearTimeout(partial);
      partial = null;
    }
    if (buffered.length > 0 && partial === null) partial = setTimeout(() => socket.destroy(), TCP_IDLE_MS);
  });
  /** answers every whole query buffered; says whether there was one */
  const drain = (): boolean => {
    let whole = false;
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      // a length that no query can have: the stream is not DNS, so stop reading it
      if (length < HEADER_LENGTH || length > MAX_TCP_QUERY) {
        filter.counters.dropped++;
        socket.destroy();
        return whole;
      }
      if (buffered.length < length + 2) return whole;
      whole = true;
      const message = buffered.subarray(2, length + 2);
      buffered = buffered.subarray(length + 2);
      let reply: Reply | Promise<Reply>;
      try {
        reply = filter.handle(message, clientIp, 'tcp');
      } catch {
        filter.counters.errors++;
        continue;
      }
      if (reply === null) continue;
      if (!(reply instanceof Promise)) send(reply);
      else
        reply.then(send, () => {
          filter.counters.errors++;
        });
    }
    return whole;
  };
}

/** Everything between a packet in and a packet out; never throws for any input. */
class FilterCore {
  readonly counters: Omit<DnsFilterStats, 'cacheEntries' | 'upstreamQueries' | 'upstreamTimeouts' | 'upstreamErrors' | 'tcpRetries' | 'upstreamFailingSince' | 'upstreamFailuresInARow'> = {
    queries: 0,
    udp: 0,
    tcp: 0,
    blocked: 0,
    warned: 0,
    safeSearch: 0,
    dohCanary: 0,
    cacheHits: 0,
    cacheMisses: 0,
    forwarded: 0,
    staleAnswers: 0,
    failFast: 0,
    servfail: 0,
    formerr: 0,
    notimp: 0,
    refused: 0,
    rateLimited: 0,
    dropped: 0,
    truncated: 0,
    errors: 0,
  };
  closed = false;
  readonly #config: ResolvedDnsOptions;
  readonly #forwarder: Forwarder;
  readonly #cache: AnswerCache;
  readonly #limiter: RateLimiter | null;
  /** identical questions waiting on one upstream exchange */
  readonly #inflight = new Map<string, Promise<StoredAnswer | null>>();
  #upstreamFailingSince: number | null = null;
  #upstreamFailuresInARow = 0;

  constructor(config: ResolvedDnsOptions, forwarder: Forwarder) {
    this.#config = config;
    this.#forwarder = forwarder;
    this.#cache = new AnswerCache(config.cache.maxEntries, config.serveStale.maxStaleSeconds);
    this.#limiter = config.rateLimit ? new RateLimiter(config.rateLimit) : null;
  }

  stats(): DnsFilterStats {
    return { ...this.counters, cacheEntries: this.#cache.size, ...this.#forwarder.stats, upstreamFailingSince: this.#upstreamFailingSince, upstreamFailuresInARow: this.#upstreamFailuresInARow };
  }

  handle(request: Buffer, clientIp: string, transport: Transport): Reply | Promise<Reply> {
    const counters = this.counters;
    counters.queries++;
    counters[transport]++;
    const parsed = parseQuery(request);
    if (parsed === null) {
      counters.dropped++;
      return null;
    }
    const now = this.#config.now();
    if (this.#limiter && !this.#limiter.take(clientIp, now)) {
      counters.rateLimited++;
      if (transport === 'udp') {
        counters.dropped++;
        return null;
      }
      counters.refused++;
      return parsed.ok ? emptyResponse(request, parsed.query, parsed.query.id, parsed.query.flags, RCODE_REFUSED) : null;
    }
    if (!parsed.ok) {
      if (parsed.rcode === RCODE_NOTIMP) counters.notimp++;
      else counters.formerr++;
      return emptyResponse(request, null, parsed.id, parsed.flags, parsed.rcode);
    }
    const query = parsed.query;
    if (query.edns && query.edns.version > 0) return emptyResponse(request, query, query.id, query.flags, RCODE_BADVERS);
    if (query.qclass !== CLASS_IN || query.qtype === TYPE_AXFR || query.qtype === TYPE_IXFR) {
      counters.refused++;
      return emptyResponse(request, query, query.id, query.flags, RCODE_REFUSED);
    }
    try {
      return this.#answer(request, query, clientIp, transport, now);
    } catch {
      counters.errors++;
      counters.servfail++;
      return emptyResponse(request, query, query.id, query.flags, RCODE_SERVFAIL);
    }
  }

  #answer(request: Buffer, query: ParsedQuery, clientIp: string, transport: Transport, now: number): Reply | Promise<Reply> {
    const config = this.#config;
    const name = query.name;
    // the root and reverse-lookup names are infrastructure, not destinations: no decision
    if (name === '' || name.endsWith('.arpa') || name === 'arpa') return this.#forward(request, query, transport, now);

    const person = config.identify(clientIp);
    if (name === CANARY && config.dohIsCircumvention(person)) {
      this.counters.dohCanary++;
      return emptyResponse(request, query, query.id, query.flags, RCODE_NXDOMAIN, { ttl: config.blockTtl });
    }
    const decision = config.decide({ person, url: name, at: now, clientIp });
    if (config.sink) this.#emit(decision, person, clientIp, now);

    const addressMode = config.block.mode === 'address';
    if (decision.action === 'block' || (decision.action === 'warn' && addressMode)) {
      this.counters.blocked++;
      if (decision.action === 'warn') this.counters.warned++;
      return this.#blockAnswer(request, query);
    }
    if (query.qtype === TYPE_ANY) {
      // RFC 8482: no ANY amplification; a minimal synthetic answer
      return addressResponse(request, query, TYPE_HINFO, HINFO_RFC8482, ANY_TTL);
    }
    if (query.qtype === TYPE_A || query.qtype === TYPE_AAAA || query.qtype === TYPE_CNAME || query.qtype === TYPE_HTTPS || query.qtype === TYPE_SVCB) {
      const target = safeSearchTarget(name, config.safeSearchFor(person));
      if (target !== null) {
        this.counters.safeSearch++;
        return this.#safeSearchAnswer(request, query, target, transport);
      }
    }
    return this.#forward(request, query, transport, now);
  }

  #emit(decision: Decision, person: Person, clientIp: string, now: number): void {
    const event = decisionEvent({
      point: 'dns',
      at: now,
      person,
      clientIp,
      decision,
      url: null,
      warnReason: decision.action === 'warn' ? decision.reason : null,
    });
    try {
      this.#config.sink!(event);
    } catch {
      // the decision log must never stop an answer
      this.counters.errors++;
    }
  }

  #blockAnswer(request: Buffer, query: ParsedQuery): Buffer {
    const { block, blockTtl } = this.#config;
    const soa = { ttl: blockTtl };
    if (block.mode === 'nxdomain') return emptyResponse(request, query, query.id, query.flags, RCODE_NXDOMAIN, soa);
    switch (query.qtype) {
      case TYPE_A:
        return addressResponse(request, query, TYPE_A, block.a, blockTtl);
      case TYPE_AAAA:
        // NODATA rather than NXDOMAIN: NXDOMAIN would deny the A record too (RFC 8020)
        return block.aaaa ? addressResponse(request, query, TYPE_AAAA, block.aaaa, blockTtl) : emptyResponse(request, query, query.id, query.flags, RCODE_NOERROR, soa);
      case TYPE_CNAME:
        return emptyResponse(request, query, query.id, query.flags, RCODE_NOERROR, soa);
      default:
        // HTTPS/SVCB included: they would hand out ECH keys and alternative endpoints
        return emptyResponse(request, query, query.id, query.flags, RCODE_NXDOMAIN, soa);
    }
  }

  #forward(request: Buffer, query: ParsedQuery, transport: Transport, now: number): Reply | Promise<Reply> {
    const dnssecOk = query.edns?.dnssecOk ?? false;
    const key = AnswerCache.key(query.name, query.qtype, query.qclass, dnssecOk);
    const cached = this.#cache.get(key, now);
    if (cached) {
      this.counters.cacheHits++;
      return this.#fit(renderAnswer(cached, request, query, now), request, query, transport);
    }
    this.counters.cacheMisses++;
    const answered = (found: Found | null): Buffer => {
      if (!found) {
        this.counters.servfail++;
        return emptyResponse(request, query, query.id, query.flags, RCODE_SERVFAIL);
      }
      if (found.stale) return this.#fit(renderAnswer(found.answer, request, query, this.#config.now(), this.#config.serveStale.answerTtl), request, query, transport);
      if (found.answer.rcode === RCODE_SERVFAIL) this.counters.servfail++;
      return this.#fit(renderAnswer(found.answer, request, query, this.#config.now()), request, query, transport);
    };
    const found = this.#lookup(key, lowerQuestion(request, query.questionEnd), dnssecOk, now);
    return found instanceof Promise ? found.then(answered) : answered(found);
  }

  /**
   * A question the cache cannot answer fresh: the upstream's answer, else a stale one (when every
   * upstream failed, or none answered within the client timeout), else null (SERVFAIL). An
   * upstream's own SERVFAIL or REFUSED counts as a failure, and comes back when nothing stale can.
   */
  #lookup(key: string, question: Buffer, dnssecOk: boolean, now: number): Found | null | Promise<Found | null> {
    const stale = this.#cache.stale(key, now);
    if (this.#cache.failedRecently(key, now)) {
      // every upstream failed for this question moments ago: answer now rather than wait again
      this.counters.failFast++;
      if (stale) this.counters.staleAnswers++;
      return stale ? { answer: stale, stale: true } : null;
    }
    const resolving = this.#resolve(key, question, dnssecOk);
    if (!stale) return resolving.then((answer) => (answer ? { answer, stale: false } : null));
    return new Promise<Found | null>((resolve) => {
      let done = false;
      const finish = (found: Found): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (found.stale) this.counters.staleAnswers++;
        resolve(found);
      };
      // RFC 8767's client response timer: a stale answer now beats a fresh one too late
      const timer = setTimeout(() => finish({ answer: stale, stale: true }), this.#config.serveStale.clientTimeoutMs);
      resolving.then((answer) => finish(answer && !failedAnswer(answer) ? { answer, stale: false } : { answer: stale, stale: true }));
    });
  }

  /** Cache, else one shared upstream exchange per question. */
  #resolve(key: string, question: Buffer, dnssecOk: boolean): Promise<StoredAnswer | null> {
    const now = this.#config.now();
    const cached = this.#cache.get(key, now);
    if (cached) return Promise.resolve(cached);
    let pending = this.#inflight.get(key);
    if (pending) return pending;
    this.counters.forwarded++;
    pending = this.#forwarder.query(question, dnssecOk).then((response) => {
      this.#inflight.delete(key);
      const at = this.#config.now();
      const stored = response ? storeAnswer(response, at, this.#config.cache) : null;
      if (!stored || failedAnswer(stored)) {
        if (this.#upstreamFailingSince === null) this.#upstreamFailingSince = at;
        this.#upstreamFailuresInARow++;
        if (this.#config.failureCacheMs > 0) this.#cache.noteFailure(key, at + this.#config.failureCacheMs);
        return stored;
      }
      this.#upstreamFailingSince = null;
      this.#upstreamFailuresInARow = 0;
      this.#cache.set(key, stored);
      return stored;
    });
    this.#inflight.set(key, pending);
    return pending;
  }

  #fit(reply: Buffer, request: Buffer, query: ParsedQuery, transport: Transport): Buffer {
    if (transport === 'udp' && reply.length > udpLimit(query)) {
      this.counters.truncated++;
      return truncatedResponse(request, query, reply.readUInt16BE(2) & 0xf);
    }
    return reply;
  }

  /** CNAME to the service's restricted host, followed by that host's own records of the asked type. */
  async #safeSearchAnswer(request: Buffer, query: ParsedQuery, target: string, transport: Transport): Promise<Reply> {
    const ttl = this.#config.blockTtl;
    const cname = { type: 'CNAME' as const, name: query.name, ttl, class: 'IN' as const, data: target };
    let answers: dnsPacket.Answer[] = [cname];
    let authorities: dnsPacket.Answer[] = [];
    let rcode = RCODE_NOERROR;
    if (query.qtype !== TYPE_CNAME) {
      const dnssecOk = query.edns?.dnssecOk ?? false;
      const key = AnswerCache.key(target, query.qtype, CLASS_IN, dnssecOk);
      const question = Buffer.concat([encodeName(target), Buffer.from([query.qtype >> 8, query.qtype & 0xff, 0, CLASS_IN])]);
      const now = this.#config.now();
      const fresh = this.#cache.get(key, now);
      const found = fresh ? { answer: fresh, stale: false } : await this.#lookup(key, question, dnssecOk, now);
      if (!found) {
        this.counters.servfail++;
        return emptyResponse(request, query, query.id, query.flags, RCODE_SERVFAIL);
      }
      const stored = found.answer;
      const elapsed = Math.floor((this.#config.now() - stored.storedAt) / 1000);
      const decoded = dnsPacket.decode(stored.bytes);
      const staleTtl = found.stale ? this.#config.serveStale.answerTtl : null;
      const age = (record: dnsPacket.Answer): dnsPacket.Answer =>
        'ttl' in record && record.ttl !== undefined ? { ...record, ttl: staleTtl ?? Math.max(0, record.ttl - elapsed) } : record;
      answers = [cname, ...(decoded.answers ?? []).map(age)];
      authorities = (decoded.authorities ?? []).map(age);
      rcode = stored.rcode;
    }
    const packet: dnsPacket.Packet = {
      type: 'response',
      id: query.id,
      flags: 0,
      questions: [{ name: query.name, type: recordTypeName(query.qtype), class: 'IN' }],
      answers,
      authorities,
    };
    if (query.edns) {
      packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: query.edns.dnssecOk ? 0x8000 : 0, flag_do: query.edns.dnssecOk, options: [] }];
    }
    const encoded = dnsPacket.encode(packet);
    // the flags word (QR, RD, CD, RA, rcode) is written here rather than through dns-packet
    encoded.writeUInt16BE(responseFlags(query.flags, rcode), 2);
    return this.#fit(encoded, request, query, transport);
  }
}

/** An answer and whether it is past its TTL. */
interface Found {
  answer: StoredAnswer;
  stale: boolean;
}

/** The upstreams' answer says they could not resolve: no answer for the client but a stale one would be better. */
function failedAnswer(answer: StoredAnswer): boolean {
  return answer.rcode === RCODE_SERVFAIL || answer.rcode === RCODE_REFUSED;
}

function recordTypeName(qtype: number): dnsPacket.RecordType {
  const names: Record<number, dnsPacket.RecordType> = { 1: 'A', 5: 'CNAME', 28: 'AAAA' };
  return names[qtype] ?? (`UNKNOWN_${qtype}` as dnsPacket.RecordType);
}
