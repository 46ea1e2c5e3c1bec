import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { startDnsFilter, type DnsFilter, type DnsFilterOptions, type SafeSearchSettings } from '../../src/dns/index.ts';
import { isHedgerowError } from '../../src/errors/index.ts';
import type { DecisionEvent, Person } from '../../src/engine/types.ts';
import { blackHole, closedPort, startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { answerLines, ask, baseOptions, exchangeUdp, fakeDecide, rcodeOf, staff } from './helpers.ts';

const NOERROR = 0;
const FORMERR = 1;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const NOTIMP = 4;
const REFUSED = 5;

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream();
});
after(async () => {
  await upstream.close();
});

function ttlOf(packet: dnsPacket.DecodedPacket): number | undefined {
  const record = packet.answers?.[0];
  return record && 'ttl' in record ? record.ttl : undefined;
}

async function withFilter(overrides: Partial<DnsFilterOptions>, body: (filter: DnsFilter) => Promise<void>): Promise<void> {
  const filter = await startDnsFilter(baseOptions(upstream.port, overrides));
  try {
    await body(filter);
  } finally {
    await filter.close();
  }
}

describe('forwarding', () => {
  it('forwards an allowed name and returns the upstream address over UDP and TCP', async () => {
    await withFilter({}, async (filter) => {
      const udp = await ask(filter.address.port, 'www.example.org');
      assert.equal(rcodeOf(udp), NOERROR);
      assert.deepEqual(answerLines(udp), ['A 192.0.2.1']);
      assert.equal(udp.id, 4321);
      const tcp = await ask(filter.address.port, 'www.example.org', { type: 'AAAA', tcp: true });
      assert.deepEqual(answerLines(tcp), ['AAAA 2001:db8::1']);
    });
  });

  it('keeps the client spelling of the question when answering from the cache', async () => {
    await withFilter({}, async (filter) => {
      await ask(filter.address.port, 'www.example.org');
      const mixed = await ask(filter.address.port, 'WwW.ExAmple.ORG');
      assert.equal(mixed.questions?.[0]?.name, 'WwW.ExAmple.ORG');
      assert.deepEqual(answerLines(mixed), ['A 192.0.2.1']);
    });
  });

  it('includes an OPT record only when the query had one', async () => {
    await withFilter({}, async (filter) => {
      const plain = await ask(filter.address.port, 'www.example.org');
      assert.equal((plain.additionals ?? []).filter((record) => record.type === 'OPT').length, 0);
      const edns = await ask(filter.address.port, 'www.example.org', { edns: { size: 1232 } });
      const opt = (edns.additionals ?? []).find((record) => record.type === 'OPT');
      assert.ok(opt && 'udpPayloadSize' in opt);
      assert.equal(opt.udpPayloadSize, 1232);
    });
  });

  it('answers EDNS version 1 with BADVERS', async () => {
    await withFilter({}, async (filter) => {
      const query = dnsPacket.encode({
        type: 'query',
        id: 9,
        questions: [{ type: 'A', name: 'www.example.org' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] } as dnsPacket.Answer],
      });
      const reply = dnsPacket.decode(await exchangeUdp(filter.address.port, query));
      const opt = (reply.additionals ?? []).find((record) => record.type === 'OPT');
      assert.ok(opt && 'extendedRcode' in opt);
      assert.equal(opt.extendedRcode, 1);
      assert.equal(rcodeOf(reply), 0);
    });
  });

  it('retries over TCP when the upstream truncates, and truncates for a client that cannot take the size', async () => {
    await withFilter({}, async (filter) => {
      const before = filter.stats().tcpRetries;
      const full = await ask(filter.address.port, 'big.example.org', { tcp: true });
      assert.equal(full.answers?.length, 60);
      assert.equal(filter.stats().tcpRetries, before + 1);
      const small = await ask(filter.address.port, 'big.example.org');
      assert.ok(small.flag_tc, 'a 512-byte client gets TC');
      assert.equal(small.answers?.length ?? 0, 0);
    });
  });

  it('answers SERVFAIL when the only upstream refuses connections, without waiting for the timeout', async () => {
    const port = await closedPort();
    const filter = await startDnsFilter(baseOptions(port, { upstreamTimeout: 30_000 }));
    try {
      const reply = await ask(filter.address.port, 'www.example.org', { timeoutMs: 5000 });
      assert.equal(rcodeOf(reply), SERVFAIL);
    } finally {
      await filter.close();
    }
  });

  it('answers SERVFAIL after the timeout when the upstream never replies', async () => {
    const hole = await blackHole();
    const filter = await startDnsFilter(baseOptions(hole.port, { upstreamTimeout: 200 }));
    try {
      const reply = await ask(filter.address.port, 'www.example.org', { timeoutMs: 5000 });
      assert.equal(rcodeOf(reply), SERVFAIL);
      assert.equal(filter.stats().upstreamTimeouts, 1);
    } finally {
      await filter.close();
      await hole.close();
    }
  });

  it('moves on to the next upstream when the first does not answer', async () => {
    const hole = await blackHole();
    const filter = await startDnsFilter(
      baseOptions(hole.port, { upstreamTimeout: 200, upstreams: [{ host: '127.0.0.1', port: hole.port }, { host: '127.0.0.1', port: upstream.port }] }),
    );
    try {
      const reply = await ask(filter.address.port, 'www.example.org', { type: 'AAAA', timeoutMs: 5000 });
      assert.deepEqual(answerLines(reply), ['AAAA 2001:db8::1']);
    } finally {
      await filter.close();
      await hole.close();
    }
  });

  it('asks the upstream once for identical questions in flight together', async () => {
    await withFilter({}, async (filter) => {
      const before = upstream.count('short.example.org');
      const replies = await Promise.all(Array.from({ length: 10 }, () => ask(filter.address.port, 'short.example.org')));
      for (const reply of replies) assert.deepEqual(answerLines(reply), ['A 192.0.2.5']);
      assert.equal(upstream.count('short.example.org') - before, 1);
    });
  });
});

describe('cache', () => {
  it('answers a repeated query from the cache with a decreasing TTL until it expires', async () => {
    let clock = 1_000_000;
    await withFilter({ now: () => clock }, async (filter) => {
      const before = upstream.count('short.example.org');
      const first = await ask(filter.address.port, 'short.example.org');
      assert.equal(ttlOf(first), 5);
      clock += 2_000;
      const second = await ask(filter.address.port, 'short.example.org');
      assert.equal(ttlOf(second), 3);
      assert.equal(upstream.count('short.example.org') - before, 1);
      assert.equal(filter.stats().cacheHits, 1);
      clock += 3_000;
      const third = await ask(filter.address.port, 'short.example.org');
      assert.equal(ttlOf(third), 5);
      assert.equal(upstream.count('short.example.org') - before, 2);
    });
  });

  it('caches NXDOMAIN for the SOA minimum', async () => {
    let clock = 5_000_000;
    await withFilter({ now: () => clock }, async (filter) => {
      const before = upstream.count('missing.example.org');
      assert.equal(rcodeOf(await ask(filter.address.port, 'missing.example.org')), NXDOMAIN);
      clock += 59_000;
      const cached = await ask(filter.address.port, 'missing.example.org');
      assert.equal(rcodeOf(cached), NXDOMAIN);
      assert.equal(upstream.count('missing.example.org') - before, 1);
      clock += 2_000;
      await ask(filter.address.port, 'missing.example.org');
      assert.equal(upstream.count('missing.example.org') - before, 2);
    });
  });

  it('keeps answers with and without the DO bit apart', async () => {
    await withFilter({}, async (filter) => {
      const before = upstream.count('www.example.org', 'AAAA');
      await ask(filter.address.port, 'www.example.org', { type: 'AAAA', edns: { do: false } });
      await ask(filter.address.port, 'www.example.org', { type: 'AAAA', edns: { do: true } });
      await ask(filter.address.port, 'www.example.org', { type: 'AAAA', edns: { do: true } });
      assert.equal(upstream.count('www.example.org', 'AAAA') - before, 2);
    });
  });

  it('clamps stored TTLs to maxTtl', async () => {
    await withFilter({ cache: { maxEntries: 10, maxTtl: 60 } }, async (filter) => {
      const reply = await ask(filter.address.port, 'www.example.org');
      assert.equal(ttlOf(reply), 60);
    });
  });
});

describe('blocking', () => {
  it('answers a blocked name with the block page address and never forwards it', async () => {
    await withFilter({}, async (filter) => {
      const before = upstream.total();
      const a = await ask(filter.address.port, 'www.blocked.example');
      assert.deepEqual(answerLines(a), ['A 192.0.2.10']);
      assert.equal(ttlOf(a), 10);
      const aaaa = await ask(filter.address.port, 'blocked.example', { type: 'AAAA', tcp: true });
      assert.deepEqual(answerLines(aaaa), ['AAAA 2001:db8::10']);
      assert.equal(upstream.total(), before);
      assert.equal(filter.stats().blocked, 2);
    });
  });

  it('answers HTTPS, SVCB and other types of a blocked name with NXDOMAIN and CNAME with no data', async () => {
    await withFilter({}, async (filter) => {
      for (const type of ['UNKNOWN_65', 'UNKNOWN_64', 'MX', 'TXT'] as dnsPacket.RecordType[]) {
        const reply = await ask(filter.address.port, 'blocked.example', { type });
        assert.equal(rcodeOf(reply), NXDOMAIN, type);
      }
      const cname = await ask(filter.address.port, 'blocked.example', { type: 'CNAME' });
      assert.equal(rcodeOf(cname), NOERROR);
      assert.equal(cname.answers?.length, 0);
      assert.equal(cname.authorities?.[0]?.type, 'SOA');
    });
  });

  it('answers AAAA of a blocked name with no data when the block page has no IPv6 address', async () => {
    await withFilter({ blockAnswer: { a: '192.0.2.10' } }, async (filter) => {
      const reply = await ask(filter.address.port, 'blocked.example', { type: 'AAAA' });
      assert.equal(rcodeOf(reply), NOERROR);
      assert.equal(reply.answers?.length, 0);
    });
  });

  it('answers a blocked name NXDOMAIN with a negative-caching SOA in nxdomain mode', async () => {
    await withFilter({ blockAnswer: 'nxdomain', blockTtl: 30 }, async (filter) => {
      const reply = await ask(filter.address.port, 'blocked.example');
      assert.equal(rcodeOf(reply), NXDOMAIN);
      const soa = reply.authorities?.[0];
      assert.ok(soa && soa.type === 'SOA');
      assert.equal(soa.data.minimum, 30);
    });
  });

  it('blocks a DoH resolver name by the engine decision', async () => {
    await withFilter({}, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'doh.example.net')), ['A 192.0.2.10']);
    });
  });

  it('sends a warn decision to the block page address, and allows it in nxdomain mode', async () => {
    await withFilter({}, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'warn.example')), ['A 192.0.2.10']);
      assert.equal(filter.stats().warned, 1);
    });
    await withFilter({ blockAnswer: 'nxdomain' }, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'warn.example')), ['A 192.0.2.70']);
    });
  });

  it('asks the engine with the bare name, the person from identify and the injected clock', async () => {
    const seen: Array<{ url: string; at: number; role: string; clientIp?: string }> = [];
    const clients: string[] = [];
    await withFilter(
      {
        now: () => 1_700_000_000_000,
        identify: (ip) => {
          clients.push(ip);
          return staff;
        },
        decide: (query) => {
          seen.push({ url: query.url, at: query.at, role: query.person.role, clientIp: query.clientIp });
          return fakeDecide(query);
        },
      },
      async (filter) => {
        await ask(filter.address.port, 'WWW.Example.org.');
        assert.deepEqual(clients, ['127.0.0.1']);
        assert.deepEqual(seen, [{ url: 'www.example.org', at: 1_700_000_000_000, role: 'staff', clientIp: '127.0.0.1' }]);
      },
    );
  });

  it('emits one decision event per decided query, and a throwing sink does not stop answers', async () => {
    const events: DecisionEvent[] = [];
    await withFilter({ sink: (event) => events.push(event) }, async (filter) => {
      await ask(filter.address.port, 'blocked.example');
      await ask(filter.address.port, 'www.example.org');
      assert.equal(events.length, 2);
      assert.equal(events[0]!.point, 'dns');
      assert.equal(events[0]!.action, 'block');
      assert.equal(events[0]!.person, 'ada.pupil');
      assert.deepEqual(events[0]!.clauses, ['8.1']);
      assert.equal(events[1]!.action, 'allow');
      assert.notEqual(events[0]!.id, events[1]!.id);
    });
    await withFilter(
      {
        sink: () => {
          throw new Error('store down');
        },
      },
      async (filter) => {
        assert.deepEqual(answerLines(await ask(filter.address.port, 'blocked.example')), ['A 192.0.2.10']);
      },
    );
  });

  it('answers SERVFAIL when the engine throws, and keeps serving', async () => {
    let fail = true;
    await withFilter(
      {
        decide: (query) => {
          if (fail) throw new Error('snapshot missing');
          return fakeDecide(query);
        },
      },
      async (filter) => {
        assert.equal(rcodeOf(await ask(filter.address.port, 'www.example.org')), SERVFAIL);
        fail = false;
        assert.deepEqual(answerLines(await ask(filter.address.port, 'www.example.org')), ['A 192.0.2.1']);
      },
    );
  });
});

describe('safe-search and DoH canary', () => {
  const strict: Partial<DnsFilterOptions> = {
    safeSearchFor: (person: Person): SafeSearchSettings => (person.role === 'pupil' ? { engines: 'strict', youtube: 'strict' } : { engines: 'off', youtube: 'moderate' }),
  };

  it('rewrites Google to forcesafesearch.google.com with its address for a strict person', async () => {
    await withFilter({ ...strict }, async (filter) => {
      const reply = await ask(filter.address.port, 'www.google.com');
      assert.deepEqual(answerLines(reply), ['CNAME forcesafesearch.google.com', 'A 192.0.2.50']);
      assert.equal(reply.answers?.[0]?.name, 'www.google.com');
      const v6 = await ask(filter.address.port, 'google.co.uk', { type: 'AAAA', edns: true });
      assert.deepEqual(answerLines(v6), ['CNAME forcesafesearch.google.com', 'AAAA 2001:db8::50']);
    });
  });

  it('rewrites YouTube, Bing and DuckDuckGo to their restricted hosts', async () => {
    await withFilter({ ...strict }, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'www.youtube.com')), ['CNAME restrict.youtube.com', 'A 192.0.2.51']);
      assert.deepEqual(answerLines(await ask(filter.address.port, 'www.bing.com')), ['CNAME strict.bing.com', 'A 192.0.2.54']);
      assert.deepEqual(answerLines(await ask(filter.address.port, 'duckduckgo.com')), ['CNAME safe.duckduckgo.com', 'A 192.0.2.55']);
    });
  });

  it('uses restrictmoderate for a moderate YouTube setting and leaves search alone when engines are off', async () => {
    await withFilter({ ...strict, identify: () => staff }, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'm.youtube.com')), ['CNAME restrictmoderate.youtube.com', 'A 192.0.2.52']);
      assert.deepEqual(answerLines(await ask(filter.address.port, 'www.google.com')), ['A 192.0.2.40']);
    });
  });

  it('answers use-application-dns.net NXDOMAIN when DoH is circumvention, and forwards it otherwise', async () => {
    await withFilter({}, async (filter) => {
      assert.equal(rcodeOf(await ask(filter.address.port, 'use-application-dns.net')), NXDOMAIN);
    });
    await withFilter({ identify: () => staff }, async (filter) => {
      assert.deepEqual(answerLines(await ask(filter.address.port, 'use-application-dns.net')), ['A 192.0.2.60']);
    });
  });
});

describe('protocol edges and hostile input', () => {
  it('answers ANY with the RFC 8482 minimal record', async () => {
    await withFilter({}, async (filter) => {
      const before = upstream.total();
      const reply = await ask(filter.address.port, 'www.example.org', { type: 'ANY' as dnsPacket.RecordType });
      assert.equal(reply.answers?.[0]?.type, 'HINFO');
      assert.equal(upstream.total(), before);
    });
  });

  it('answers FORMERR to two questions, NOTIMP to another opcode and drops what has no header', async () => {
    await withFilter({}, async (filter) => {
      const two = dnsPacket.encode({ type: 'query', id: 77, questions: [{ type: 'A', name: 'a.example' }, { type: 'A', name: 'b.example' }] });
      const formerr = await exchangeUdp(filter.address.port, two);
      assert.equal(formerr.readUInt16BE(0), 77);
      assert.equal(formerr[3]! & 0xf, FORMERR);
      const status = dnsPacket.encode({ type: 'query', id: 78, questions: [{ type: 'A', name: 'a.example' }] });
      status.writeUInt16BE(2 << 11, 2);
      assert.equal((await exchangeUdp(filter.address.port, status))[3]! & 0xf, NOTIMP);
      await assert.rejects(exchangeUdp(filter.address.port, Buffer.from([1, 2, 3]), 300), /timeout/);
      assert.equal(filter.stats().dropped, 1);
    });
  });

  it('refuses classes other than IN', async () => {
    await withFilter({}, async (filter) => {
      const chaos = dnsPacket.encode({ type: 'query', id: 5, questions: [{ type: 'TXT', name: 'version.bind', class: 'CH' }] });
      assert.equal((await exchangeUdp(filter.address.port, chaos))[3]! & 0xf, REFUSED);
    });
  });

  it('survives hundreds of random and truncated packets over UDP and TCP and still answers', async () => {
    await withFilter({}, async (filter) => {
      const valid = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.example.org' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.Answer] });
      const packets = fc.sample(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
          fc.integer({ min: 0, max: valid.length - 1 }).map((length) => valid.subarray(0, length)),
          fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([index, byte]) => {
            const copy = Buffer.from(valid);
            copy[index] = byte;
            return copy;
          }),
        ),
        { numRuns: 600, seed: 20240611 },
      );
      const socket = dgram.createSocket('udp4');
      for (const packet of packets) socket.send(packet, filter.address.port, '127.0.0.1');
      const tcp = net.connect(filter.address.port, '127.0.0.1');
      tcp.on('error', () => {});
      await new Promise<void>((resolve) => tcp.on('connect', () => resolve()));
      for (const packet of packets.slice(0, 100)) tcp.write(Buffer.concat([Buffer.from([packet.length >> 8, packet.length & 0xff]), packet]));
      tcp.write(Buffer.from([0xff, 0xff, 0, 0])); // a length no query has: the connection is closed
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.close();
      tcp.destroy();
      const reply = await ask(filter.address.port, 'www.example.org');
      assert.deepEqual(answerLines(reply), ['A 192.0.2.1']);
      const stats = filter.stats();
      assert.ok(stats.formerr + stats.dropped > 0);
      assert.equal(stats.errors, 0);
    });
  });
});

describe('rate limit', () => {
  it('drops UDP queries over the per-client limit and refuses them over TCP', async () => {
    const clock = 42_000;
    await withFilter({ rateLimit: { perSecond: 1, burst: 3 }, now: () => clock }, async (filter) => {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, index) => ask(filter.address.port, 'www.example.org', { id: index, timeoutMs: 500 })));
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
      const tcp = await ask(filter.address.port, 'www.example.org', { tcp: true });
      assert.equal(rcodeOf(tcp), REFUSED);
      assert.equal(filter.stats().rateLimited, 4);
    });
  });
});

describe('options', () => {
  it('reports every bad option in one HR_CONFIG_INVALID error', async () => {
    await assert.rejects(
      startDnsFilter(baseOptions(53, { upstreams: [{ host: 'resolver', port: 0 }], blockAnswer: { a: '192.0.2.300' }, cache: { maxEntries: -1 } })),
      (error: unknown) => {
        assert.ok(isHedgerowError(error));
        assert.equal(error.code, 'HR_CONFIG_INVALID');
        assert.match(error.message, /dns\.upstreams\[0\]\.host: `resolver` is not an IP address/);
        assert.match(error.message, /dns\.blockAnswer\.a/);
        assert.match(error.message, /dns\.cache\.maxEntries/);
        assert.equal(error.where?.field, 'dns.upstreams[0].host');
        return true;
      },
    );
  });
});
