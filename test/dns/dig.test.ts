// The filter against a real resolver client: BIND's `dig` (Debian package `dnsutils`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { startDnsFilter, type DnsFilter, type DnsFilterOptions } from '../../src/dns/index.ts';
import { closedPort, startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { baseOptions, staff } from './helpers.ts';

const hasDig = spawnSync('dig', ['-v']).status === 0;

interface DigResult {
  code: number;
  status: string | null;
  answers: Array<{ name: string; ttl: number; type: string; data: string }>;
  text: string;
}

function dig(port: number, args: string[]): Promise<DigResult> {
  return new Promise((resolve) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args], (error, stdout) => {
      const text = String(stdout);
      const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? null;
      const answers: DigResult['answers'] = [];
      const section = text.split(';; ANSWER SECTION:\n')[1];
      if (section) {
        for (const line of section.split('\n')) {
          if (line.trim() === '') break;
          const [name = '', ttl = '0', , type = '', ...data] = line.split(/\s+/);
          answers.push({ name, ttl: Number(ttl), type, data: data.join(' ') });
        }
      }
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, status, answers, text });
    });
  });
}

const pairs = (result: DigResult): string[] => result.answers.map((answer) => `${answer.type} ${answer.data}`);

describe('dig against the filter', { skip: hasDig ? false : 'dig is not installed (Debian package dnsutils)' }, () => {
  let upstream: FakeUpstream;
  before(async () => {
    upstream = await startFakeUpstream();
  });
  after(async () => {
    await upstream?.close();
  });

  async function withFilter(overrides: Partial<DnsFilterOptions>, body: (port: number, filter: DnsFilter) => Promise<void>): Promise<void> {
    const filter = await startDnsFilter(baseOptions(upstream.port, overrides));
    try {
      await body(filter.address.port, filter);
    } finally {
      await filter.close();
    }
  }

  it('resolves A and AAAA over UDP and A over TCP', async () => {
    await withFilter({}, async (port) => {
      assert.deepEqual(pairs(await dig(port, ['www.example.org', 'A'])), ['A 192.0.2.1']);
      assert.deepEqual(pairs(await dig(port, ['www.example.org', 'AAAA'])), ['AAAA 2001:db8::1']);
      const tcp = await dig(port, ['+tcp', 'www.example.org', 'A']);
      assert.equal(tcp.status, 'NOERROR');
      assert.deepEqual(pairs(tcp), ['A 192.0.2.1']);
    });
  });

  it('speaks EDNS(0) with a 1232-byte buffer', async () => {
    await withFilter({}, async (port) => {
      const result = await dig(port, ['+bufsize=1232', 'www.example.org']);
      assert.match(result.text, /; EDNS: version: 0, flags:; udp: 1232/);
      assert.deepEqual(pairs(result), ['A 192.0.2.1']);
    });
  });

  it('follows a truncated answer over TCP for a large record set', async () => {
    await withFilter({}, async (port) => {
      const result = await dig(port, ['+noedns', 'big.example.org']);
      assert.equal(result.answers.length, 60);
    });
  });

  it('answers a blocked name with the block address, or NXDOMAIN in nxdomain mode', async () => {
    await withFilter({}, async (port) => {
      assert.deepEqual(pairs(await dig(port, ['blocked.example', 'A'])), ['A 192.0.2.10']);
      assert.deepEqual(pairs(await dig(port, ['www.blocked.example', 'AAAA'])), ['AAAA 2001:db8::10']);
      assert.equal((await dig(port, ['blocked.example', 'TYPE65'])).status, 'NXDOMAIN');
    });
    await withFilter({ blockAnswer: 'nxdomain' }, async (port) => {
      const result = await dig(port, ['blocked.example', 'A']);
      assert.equal(result.status, 'NXDOMAIN');
      assert.equal(result.answers.length, 0);
    });
  });

  it('gives a strict person the forcesafesearch CNAME and an off person the plain answer', async () => {
    await withFilter({ safeSearchFor: () => ({ engines: 'strict', youtube: 'strict' }) }, async (port) => {
      assert.deepEqual(pairs(await dig(port, ['www.google.com'])), ['CNAME forcesafesearch.google.com.', 'A 192.0.2.50']);
    });
    await withFilter({ safeSearchFor: () => ({ engines: 'off', youtube: 'off' }) }, async (port) => {
      assert.deepEqual(pairs(await dig(port, ['www.google.com'])), ['A 192.0.2.40']);
    });
  });

  it('answers use-application-dns.net NXDOMAIN for a pupil and normally for staff', async () => {
    await withFilter({}, async (port) => {
      assert.equal((await dig(port, ['use-application-dns.net'])).status, 'NXDOMAIN');
    });
    await withFilter({ identify: () => staff }, async (port) => {
      assert.deepEqual(pairs(await dig(port, ['use-application-dns.net'])), ['A 192.0.2.60']);
    });
  });

  it('serves a repeat from the cache with the TTL counting down', async () => {
    let clock = 10_000_000;
    await withFilter({ now: () => clock }, async (port) => {
      const before = upstream.count('www.example.org', 'AAAA');
      const first = await dig(port, ['www.example.org', 'AAAA']);
      clock += 7_000;
      const second = await dig(port, ['www.example.org', 'AAAA']);
      assert.equal(upstream.count('www.example.org', 'AAAA') - before, 1);
      assert.equal(first.answers[0]?.ttl, 300);
      assert.equal(second.answers[0]?.ttl, 293);
    });
  });

  it('answers SERVFAIL promptly when the upstream is down', async () => {
    const port = await closedPort();
    const filter = await startDnsFilter(baseOptions(port));
    try {
      const result = await dig(filter.address.port, ['www.example.org']);
      assert.equal(result.status, 'SERVFAIL');
    } finally {
      await filter.close();
    }
  });

  it('stops answering a client over its rate limit', async () => {
    await withFilter({ rateLimit: { perSecond: 1, burst: 2 }, now: () => 77_000 }, async (port) => {
      assert.equal((await dig(port, ['www.example.org'])).status, 'NOERROR');
      assert.equal((await dig(port, ['www.example.org'])).status, 'NOERROR');
      const third = await dig(port, ['+time=1', 'www.example.org']);
      assert.equal(third.status, null);
      assert.equal(third.code, 9, 'dig exits 9 when no reply comes');
      assert.equal((await dig(port, ['+tcp', 'www.example.org'])).status, 'REFUSED');
    });
  });

  it('still answers dig after a burst of malformed packets', async () => {
    await withFilter({}, async (port, filter) => {
      const socket = dgram.createSocket('udp4');
      const garbage = [Buffer.alloc(0), Buffer.from([0, 1]), Buffer.alloc(12, 0xff), Buffer.from('000100000001000000000000c00c00010001', 'hex'), Buffer.alloc(700, 0x3f)];
      for (let round = 0; round < 40; round++) for (const packet of garbage) socket.send(packet, port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.close();
      assert.deepEqual(pairs(await dig(port, ['www.example.org'])), ['A 192.0.2.1']);
      assert.ok(filter.stats().formerr > 0);
    });
  });
});
