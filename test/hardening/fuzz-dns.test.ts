// Malformed DNS packets: to the wire reader directly (queries, and responses as a hostile upstream
// would send them), and to a running DNS filter over UDP and TCP with the reference policy's
// engine deciding. Headers that cannot be read are dropped, the rest answered (FORMERR, NOTIMP or
// an answer) with the query's id; the filter keeps serving and its heap stays flat.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { startDnsFilter, type DnsFilter } from '../../src/dns/index.ts';
import { emptyResponse, layoutResponse, parseQuery } from '../../src/dns/wire.ts';
import type { PolicyEngine } from '../../src/engine/index.ts';
import { loadEngine } from '../../src/runtime/index.ts';
import { startFakeUpstream, type FakeUpstream } from '../dns/fake-upstream.ts';
import { ask, baseOptions, pupil } from '../dns/helpers.ts';
import { fuzzCount, fuzzSeed, heapUsed, MiB, mutateBytes, Rng } from './support/fuzz-random.ts';

const SEED = fuzzSeed();
const FORMERR = 1;
const NOTIMP = 4;
const TYPE_NUMBERS: Readonly<Record<string, number>> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, UNKNOWN_64: 64, UNKNOWN_65: 65, AXFR: 252, ANY: 255, CAA: 257 };
// HTTPS (65) and SVCB (64) by number: dns-packet has no name for them
const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'UNKNOWN_65', 'UNKNOWN_64', 'ANY', 'PTR', 'SOA', 'AXFR', 'NS', 'SRV', 'CAA'] as dnsPacket.RecordType[];

function validQuery(rng: Rng): Buffer {
  const name = rng.pick(['www.example.org', 'blocked.example', 'facebook.com', 'WwW.ExAmPlE.oRg', 'use-application-dns.net', '10.2.0.192.in-addr.arpa', 'a.b.c.d.e.f.example', '_dmarc.example.org', 'x'.repeat(63) + '.example', 'nonexistent.example.org', '.']);
  return dnsPacket.encode({
    type: 'query',
    id: rng.int(65536),
    flags: rng.chance(0.8) ? dnsPacket.RECURSION_DESIRED : rng.int(65536) & ~0x8000,
    questions: [{ name, type: rng.pick(TYPES), class: rng.chance(0.9) ? 'IN' : rng.pick(['CH', 'ANY'] as const) }],
    additionals: rng.chance(0.5)
      ? [{ type: 'OPT', name: '.', udpPayloadSize: rng.pick([512, 1232, 4096, 0, 65535]), extendedRcode: 0, ednsVersion: rng.chance(0.9) ? 0 : 1, flags: rng.chance(0.5) ? dnsPacket.DNSSEC_OK : 0, flag_do: false, options: [] } as dnsPacket.Answer]
      : [],
  });
}

/** Hand-built packets for the traps: compression loops, counts past the end, odd sections. */
function trapQuery(rng: Rng): Buffer {
  const header = (qd: number, an: number, ns: number, ar: number, flags = 0x0100): Buffer => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(rng.int(65536), 0);
    h.writeUInt16BE(flags, 2);
    h.writeUInt16BE(qd, 4);
    h.writeUInt16BE(an, 6);
    h.writeUInt16BE(ns, 8);
    h.writeUInt16BE(ar, 10);
    return h;
  };
  const question = Buffer.concat([Buffer.from([3, 0x77, 0x77, 0x77, 7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0]), Buffer.from([0, 1, 0, 1])]);
  switch (rng.int(10)) {
    case 0:
      // a pointer to itself as the question name
      return Buffer.concat([header(1, 0, 0, 0), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    case 1:
      // two pointers pointing at each other in an additional record
      return Buffer.concat([header(1, 0, 0, 1), question, Buffer.from([0xc0, 33, 0xc0, 31, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0])]);
    case 2:
      // counts far past the end of the packet
      return Buffer.concat([header(1, 65535, 65535, 65535), question]);
    case 3:
      return Buffer.concat([header(rng.pick([0, 2, 65535]), 0, 0, 0), question]);
    case 4:
      // two OPT records
      return Buffer.concat([header(1, 0, 0, 2), question, Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0])]);
    case 5:
      // an OPT record with an owner name, and one with an rdlength past the end
      return Buffer.concat([header(1, 0, 0, 1), question, rng.chance(0.5) ? Buffer.from([1, 0x61, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]) : Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0xff, 0xff])]);
    case 6:
      // a label of 63 bytes repeated past 255, and labels of reserved types (01, 10)
      return Buffer.concat([header(1, 0, 0, 0), Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]))), Buffer.from([0, 0, 1, 0, 1])]);
    case 7:
      return Buffer.concat([header(1, 0, 0, 0), Buffer.from([rng.pick([0x40, 0x80, 0x7f]), 0x61, 0, 0, 1, 0, 1])]);
    case 8:
      // a response, and a packet shorter than a header
      return rng.chance(0.5) ? Buffer.concat([header(1, 0, 0, 0, 0x8180), question]) : rng.bytes(rng.int(12));
    default:
      // opcodes other than QUERY, and labels with dots, NULs and backslashes in them
      return rng.chance(0.5)
        ? Buffer.concat([header(1, 0, 0, 0, (rng.range(1, 15) << 11) | 0x0100), question])
        : Buffer.concat([header(1, 0, 0, 0), Buffer.from([7, 0x61, 0x2e, 0x00, 0x5c, 0x20, 0xff, 0x41, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1])]);
  }
}

function hostileQuery(rng: Rng): Buffer {
  const roll = rng.int(10);
  if (roll < 3) return validQuery(rng);
  if (roll < 5) return trapQuery(rng);
  if (roll < 9) return mutateBytes(rng, validQuery(rng), 4096);
  return rng.bytes(rng.range(0, 600));
}

describe('the DNS wire reader under hostile packets', () => {
  it('reads every query as an answerable one, an rcode or a drop, never throws, and agrees with dns-packet on the well-formed', (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(30_000);
    const kinds = { ok: 0, formerr: 0, notimp: 0, dropped: 0 };
    for (let i = 0; i < count; i++) {
      const input = hostileQuery(rng);
      const parsed = parseQuery(input);
      if (parsed === null) {
        kinds.dropped++;
        assert.ok(input.length < 12 || (input.readUInt16BE(2) & 0x8000) !== 0, 'only short packets and responses are dropped');
        continue;
      }
      if (!parsed.ok) {
        assert.ok(parsed.rcode === FORMERR || parsed.rcode === NOTIMP, `rcode ${parsed.rcode}`);
        if (parsed.rcode === FORMERR) kinds.formerr++;
        else kinds.notimp++;
        const reply = emptyResponse(input, null, parsed.id, parsed.flags, parsed.rcode);
        const decoded = dnsPacket.decode(reply);
        assert.equal(decoded.id, parsed.id);
        assert.equal((decoded.flags ?? 0) & 0xf, parsed.rcode);
        continue;
      }
      kinds.ok++;
      const q = parsed.query;
      assert.ok(q.questionEnd > 12 && q.questionEnd <= input.length);
      assert.ok(q.name.length <= 4 * 255, 'the name is bounded by the wire limit');
      // the answer the filter would build for it is itself a readable packet
      const reply = emptyResponse(input, q, q.id, q.flags, 3, { ttl: 10 });
      const decoded = dnsPacket.decode(reply);
      assert.equal(decoded.id, q.id);
      assert.equal(decoded.questions?.length, 1);
      // where dns-packet reads the same bytes, it reads the same question
      let reference: dnsPacket.DecodedPacket | null = null;
      try {
        reference = dnsPacket.decode(input);
      } catch {
        reference = null;
      }
      const question = reference?.questions?.[0];
      if (question && /^[a-z0-9_.-]*$/i.test(question.name)) {
        // odd bytes in a label (a dot, a space) are escaped as \DDD by the reader, kept raw by dns-packet
        const unescaped = q.name.replace(/\\(\d{3})/g, (_m, code: string) => String.fromCharCode(Number(code)));
        // …and dns-packet cannot tell a dot inside a label from one between labels
        if (!q.name.includes('\\046')) assert.equal(unescaped, question.name.toLowerCase().replace(/\.$/, ''), `name of input ${i}: ${input.toString('hex')}`);
        const known = TYPE_NUMBERS[question.type];
        if (known !== undefined) assert.equal(q.qtype, known, `type of input ${i}`);
      }
    }
    assert.ok(kinds.ok > count / 10 && kinds.formerr > 0 && kinds.notimp > 0 && kinds.dropped > 0, JSON.stringify(kinds));
    t.diagnostic(`seed ${SEED}: ${count} packets ${JSON.stringify(kinds)}`);
  });

  it('walks hostile upstream responses without throwing and keeps every offset inside the packet', (t) => {
    const rng = new Rng(SEED).fork().fork();
    const count = fuzzCount(20_000);
    let readable = 0;
    const sample = (): Buffer =>
      dnsPacket.encode({
        type: 'response',
        id: rng.int(65536),
        flags: dnsPacket.RECURSION_AVAILABLE | (rng.chance(0.3) ? 3 : 0),
        questions: [{ name: 'www.example.org', type: 'A', class: 'IN' }],
        answers: Array.from({ length: rng.int(4) }, (_, k) => ({ type: 'A' as const, name: 'www.example.org', ttl: rng.int(100_000), data: `192.0.2.${k + 1}` })),
        authorities: rng.chance(0.4) ? [{ type: 'SOA', name: 'example.org', ttl: 120, data: { mname: 'ns.example.org', rname: 'hostmaster.example.org', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: rng.int(1000) } }] : [],
        additionals: rng.chance(0.5) ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.Answer] : [],
      });
    for (let i = 0; i < count; i++) {
      const input = rng.chance(0.9) ? mutateBytes(rng, sample(), 4096) : rng.bytes(rng.range(0, 300));
      const layout = layoutResponse(input);
      if (layout === null) continue;
      readable++;
      for (const offset of layout.ttlOffsets) assert.ok(offset >= 12 && offset + 4 <= input.length, `ttl offset ${offset} of ${input.length}`);
      assert.equal(layout.ttls.length, layout.ttlOffsets.length);
      if (layout.opt) assert.ok(layout.opt.start < layout.opt.end && layout.opt.end <= input.length);
      assert.ok(layout.questionEnd <= input.length);
    }
    assert.ok(readable > 0);
    t.diagnostic(`seed ${SEED}: ${count} responses, ${readable} laid out`);
  });
});

describe('a running DNS filter under hostile packets', () => {
  let upstream: FakeUpstream;
  let filter: DnsFilter;
  let dataDir = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-fuzz-dns-'));
    const loaded = loadEngine({ dataDir });
    if (!loaded.engine) throw new Error('the reference policy does not load');
    const engine: PolicyEngine = loaded.engine;
    upstream = await startFakeUpstream();
    filter = await startDnsFilter(baseOptions(upstream.port, { decide: (query) => engine.decide(query), identify: () => pupil, upstreamTimeout: 300 }));
  });
  after(async () => {
    await filter.close();
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One packet over UDP; the reply, or null when none came within `waitMs`. */
  function udpExchange(packet: Buffer, waitMs: number): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(null);
      }, waitMs);
      socket.on('message', (message) => {
        clearTimeout(timer);
        socket.close();
        resolve(message);
      });
      socket.send(packet, filter.address.port, '127.0.0.1');
    });
  }

  /** Framed packets over one TCP connection: the replies before the filter closes or goes quiet. */
  function tcpExchange(stream: Buffer, expected: number): Promise<{ replies: Buffer[]; closed: boolean }> {
    return new Promise((resolve) => {
      const socket = net.connect(filter.address.port, '127.0.0.1');
      const replies: Buffer[] = [];
      let buffered = Buffer.alloc(0);
      let settled = false;
      const done = (closed: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ replies, closed });
      };
      // upstream timeouts are 300 ms: an answer that takes longer than this is not coming
      const timer = setTimeout(() => done(false), expected > 0 ? 3_000 : 300);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          replies.push(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
          buffered = buffered.subarray(buffered.readUInt16BE(0) + 2);
        }
        if (replies.length >= expected && expected > 0) done(false);
      });
      socket.on('close', () => done(true));
      socket.on('error', () => undefined);
      socket.write(stream);
    });
  }

  /** the id the filter answers a readable query with */
  function idOf(packet: Buffer): number {
    const parsed = parseQuery(packet);
    return parsed === null ? -1 : parsed.ok ? parsed.query.id : parsed.id;
  }

  function checkReply(input: Buffer, reply: Buffer, label: string): number {
    const parsed = parseQuery(input);
    assert.ok(parsed !== null, `${label}: a reply to a packet that should have been dropped`);
    const decoded = dnsPacket.decode(reply);
    const id = parsed.ok ? parsed.query.id : parsed.id;
    assert.equal(decoded.id, id, `${label}: the reply carries another id`);
    assert.equal(decoded.type, 'response', `${label}: the reply is not a response`);
    const rcode = reply.readUInt16BE(2) & 0xf;
    if (!parsed.ok) assert.equal(rcode, parsed.rcode, `${label}: rcode`);
    return rcode;
  }

  it('answers or drops every packet over UDP as the wire reader says, with the query id, and keeps answering good queries', async (t) => {
    const rng = new Rng(SEED).fork().fork().fork();
    const count = fuzzCount(3_000);
    const rcodes = new Map<number, number>();
    let dropped = 0;
    const heapBefore = heapUsed();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const index = next++;
        if (index >= count) return;
        const input = hostileQuery(rng);
        const parsed = parseQuery(input);
        const reply = await udpExchange(input, parsed === null ? 150 : 3_000);
        const label = `udp input ${index} ${input.subarray(0, 40).toString('hex')}`;
        if (parsed === null) {
          assert.equal(reply, null, `${label}: answered a packet that must be dropped`);
          dropped++;
        } else {
          assert.ok(reply !== null, `${label}: no answer within 3 s`);
          const rcode = checkReply(input, reply, label);
          rcodes.set(rcode, (rcodes.get(rcode) ?? 0) + 1);
        }
        if (index % 250 === 249) {
          const good = await ask(filter.address.port, 'www.example.org');
          assert.equal((good.flags ?? 0) & 0xf, 0);
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    const good = await ask(filter.address.port, 'www.example.org');
    assert.deepEqual(good.answers?.map((a) => (a as { data: string }).data), ['192.0.2.1']);
    const grown = (heapUsed() - heapBefore) / MiB;
    assert.ok(grown < 64, `heap grew ${grown.toFixed(1)} MiB`);
    assert.equal(filter.stats().errors, 0, 'packets hit an exception in the filter');
    t.diagnostic(`seed ${SEED}: ${count} UDP packets; rcodes ${JSON.stringify(Object.fromEntries([...rcodes].sort((a, b) => a[0] - b[0])))}, dropped ${dropped}; heap ${grown.toFixed(1)} MiB`);
  });

  it('answers every framed packet over TCP, closes a stream whose length cannot be a query, and keeps serving', async (t) => {
    const rng = new Rng(SEED).fork().fork().fork().fork();
    const count = fuzzCount(600);
    let replies = 0;
    let closed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const index = next++;
        if (index >= count) return;
        // several queries down one connection (pipelining), some with a broken frame
        const packets = Array.from({ length: rng.range(1, 4) }, () => hostileQuery(rng)).filter((p) => p.length >= 12);
        const broken = rng.chance(0.15);
        const frames = packets.map((p) => Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), p]));
        if (broken) frames.push(rng.pick([Buffer.from([0, 5, 1, 2, 3, 4, 5]), Buffer.from([0xff, 0xff]), Buffer.from([0, 0])]));
        const expected = packets.filter((p) => parseQuery(p) !== null);
        const result = await tcpExchange(Buffer.concat(frames), expected.length);
        const label = `tcp input ${index}`;
        if (broken) assert.ok(result.closed || result.replies.length >= expected.length, `${label}: a broken frame neither closed the stream nor left the answers`);
        else assert.equal(result.replies.length, expected.length, `${label}: ${result.replies.length} replies for ${expected.length} answerable queries`);
        if (result.closed) closed++;
        // replies come back in any order (some wait on the upstream); match them by id, and
        // where two queries share an id (a mutated copy), the reply must fit one of them
        for (const reply of result.replies) {
          const id = reply.readUInt16BE(0);
          const candidates = expected.filter((p) => idOf(p) === id);
          assert.ok(candidates.length > 0, `${label}: a reply with an id no query had`);
          const fits = candidates.filter((input) => {
            try {
              checkReply(input, reply, label);
              return true;
            } catch {
              return false;
            }
          });
          if (fits.length === 0) checkReply(candidates[0]!, reply, label);
          replies++;
        }
      }
    };
    await Promise.all(Array.from({ length: 30 }, worker));
    const good = await ask(filter.address.port, 'www.example.org', { tcp: true });
    assert.equal((good.flags ?? 0) & 0xf, 0);
    assert.equal(filter.stats().errors, 0);
    t.diagnostic(`seed ${SEED}: ${count} TCP connections, ${replies} replies, ${closed} closed by the filter`);
  });
});
