// A supervised-only sanction (8.2) enforced by the real forward proxy and the real DNS filter, with
// the reference policy's engine and a `decide` that applies the sanction set as the server does.
// Each pupil's laptop has its own loopback address (127.0.0.2, 127.0.0.3), mapped to the pupil as
// a school maps a device's address, because the DNS filter knows a client only by its address.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import type { Sanction, SupervisedSession } from '../../src/cases/sanctions/index.ts';
import { startDnsFilter, type DnsFilter } from '../../src/dns/index.ts';
import type { DecisionEvent, DecisionQuery, Person } from '../../src/engine/index.ts';
import { canonicalClientIp } from '../../src/identity/index.ts';
import { startProxy, type ForwardProxy } from '../../src/proxy/index.ts';
import { startFakeUpstream, type FakeUpstream } from '../dns/fake-upstream.ts';
import { parseResponse, startOrigin, testResolve, type Origin, type RawResponse } from '../proxy/fixtures.ts';
import { ARLO, DAY, DESMOND, HOUR, MARJORIE, MINUTE, NANCY, storeWorlds, type StoreWorld } from './fixtures.ts';

const ARLO_LAPTOP = '127.0.0.2';
const NANCY_LAPTOP = '127.0.0.3';
const BLOCK_ADDRESS = '192.0.2.10';
/** what the fake upstream answers for www.example.org */
const REAL_ADDRESS = '192.0.2.1';
const SANCTION_SENTENCE = 'Your use of the internet at school is supervised only for now.';

/** The school's mapping of device addresses to pupils. */
const devices = new Map<string, Person>([
  [ARLO_LAPTOP, { id: ARLO, role: 'pupil', groups: ['year-4', 'class-4n'] }],
  [NANCY_LAPTOP, { id: NANCY, role: 'pupil', groups: ['year-5', 'class-5m'] }],
]);
const identify = (clientIp: string): Person => devices.get(canonicalClientIp(clientIp)) ?? { role: 'guest' };

/** One GET through the proxy from a given local address, on a fresh connection. */
function getFrom(localAddress: string, proxyPort: number, url: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: proxyPort, host: '127.0.0.1', localAddress });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('close', () => resolve(parseResponse(data)));
    socket.on('error', reject);
    const host = new URL(url).host;
    socket.write(`GET ${url} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  });
}

/** One A query to the DNS filter over UDP from a given local address; the addresses answered. */
function resolveFrom(localAddress: string, dnsPort: number, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no DNS answer'));
    }, 3000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      const packet = dnsPacket.decode(message);
      resolve((packet.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: string }).data)));
    });
    socket.bind({ address: localAddress, port: 0 }, () => {
      socket.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] }), dnsPort, '127.0.0.1');
    });
  });
}

describe('a supervised-only sanction at the proxy and the DNS filter', () => {
  const worlds = storeWorlds('sqlite');
  let w: StoreWorld;
  let origin: Origin;
  let upstream: FakeUpstream;
  let proxy: ForwardProxy;
  let dns: DnsFilter;
  let sanction: Sanction;
  let session: SupervisedSession;
  const events: DecisionEvent[] = [];
  let page = '';

  before(async () => {
    await worlds.start();
    w = await worlds.world();
    origin = await startOrigin();
    upstream = await startFakeUpstream();
    page = `http://a.example:${origin.port}/lesson`;
    // what the server's `decide` does: the sanction set first, then the engine in force
    const decide = (query: DecisionQuery) => {
      query.person = w.sanctions.current().apply(query.person, query.at);
      return w.engine.decide(query);
    };
    proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      allowedClients: ['127.0.0.0/8'],
      identify: (clientIp) => identify(clientIp),
      decide,
      sink: (event) => events.push(event),
      blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: (p) => p.role === 'pupil', timeZone: 'Europe/London' },
      resolve: testResolve,
      now: () => w.clock.now,
    });
    dns = await startDnsFilter({
      host: '127.0.0.1',
      port: 0,
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      blockAnswer: { a: BLOCK_ADDRESS },
      identify,
      decide,
      safeSearchFor: () => ({ engines: 'off', youtube: 'off' }),
      dohIsCircumvention: () => true,
      sink: (event) => events.push(event),
      now: () => w.clock.now,
    });
  });

  after(async () => {
    await proxy?.close(0);
    await dns?.close();
    await upstream?.close();
    await origin?.close();
    await w?.close();
    await worlds.stop();
  });

  it('lets both pupils browse before any sanction', async () => {
    assert.equal((await getFrom(ARLO_LAPTOP, proxy.address.port, page)).status, 200);
    assert.deepEqual(await resolveFrom(ARLO_LAPTOP, dns.address.port, 'www.example.org'), [REAL_ADDRESS]);
    assert.equal(events.at(-1)!.person, ARLO);
  });

  it('blocks every web request and DNS query of a sanctioned pupil with the sanction page, and no one else’s (8.2)', async () => {
    sanction = await w.sanctions.impose({ person: ARLO, durationMs: 2 * DAY, reason: 'five circumvention attempts' }, MARJORIE);
    const blocked = await getFrom(ARLO_LAPTOP, proxy.address.port, page);
    assert.equal(blocked.status, 403);
    assert.ok(blocked.body.includes(SANCTION_SENTENCE), blocked.body.slice(0, 500));
    assert.ok(blocked.body.includes('8.2'));
    const event = events.at(-1)!;
    assert.equal(event.person, ARLO);
    assert.equal(event.rule, 'sanction.supervised-only');
    assert.deepEqual(await resolveFrom(ARLO_LAPTOP, dns.address.port, 'www.example.org'), [BLOCK_ADDRESS]);
    assert.equal(events.at(-1)!.point, 'dns');
    assert.equal(events.at(-1)!.rule, 'sanction.supervised-only');

    const other = await getFrom(NANCY_LAPTOP, proxy.address.port, page);
    assert.equal(other.status, 200);
    assert.equal(other.body, `hello from a.example:${origin.port} GET /lesson`);
    assert.deepEqual(await resolveFrom(NANCY_LAPTOP, dns.address.port, 'www.example.org'), [REAL_ADDRESS]);
  });

  it('lets the pupil through under the usual policy while a supervised session is open (8.2)', async () => {
    session = await w.sanctions.openSession(sanction.id, DESMOND);
    const allowed = await getFrom(ARLO_LAPTOP, proxy.address.port, page);
    assert.equal(allowed.status, 200);
    assert.deepEqual(await resolveFrom(ARLO_LAPTOP, dns.address.port, 'www.example.org'), [REAL_ADDRESS]);
    // the usual policy still applies: social networking stays blocked for pupils (8.1), not by the sanction
    const social = await getFrom(ARLO_LAPTOP, proxy.address.port, `http://social.example:${origin.port}/`);
    assert.equal(social.status, 403);
    assert.ok(!social.body.includes(SANCTION_SENTENCE));
    assert.notEqual(events.at(-1)!.rule, 'sanction.supervised-only');
  });

  it('blocks the pupil again as soon as the session is closed (8.2)', async () => {
    w.clock.now += 20 * MINUTE;
    await w.sanctions.closeSession(session.id, DESMOND);
    const blocked = await getFrom(ARLO_LAPTOP, proxy.address.port, page);
    assert.equal(blocked.status, 403);
    assert.ok(blocked.body.includes(SANCTION_SENTENCE));
    assert.deepEqual(await resolveFrom(ARLO_LAPTOP, dns.address.port, 'www.example.org'), [BLOCK_ADDRESS]);
  });

  it('blocks again when a session runs out after the policy’s session length (8.2)', async () => {
    const second = await w.sanctions.openSession(sanction.id, DESMOND);
    assert.equal((await getFrom(ARLO_LAPTOP, proxy.address.port, page)).status, 200);
    w.clock.now = second.endsAt;
    assert.equal((await getFrom(ARLO_LAPTOP, proxy.address.port, page)).status, 403);
    w.timers.fire();
    await w.sanctions.recordExpiries();
    assert.equal((await w.sanctions.getSession(second.id))!.closeKind, 'timed-out');
  });

  it('lifts the block by itself when the sanction expires (8.2)', async () => {
    w.clock.now = sanction.endsAt - HOUR;
    assert.equal((await getFrom(ARLO_LAPTOP, proxy.address.port, page)).status, 403);
    w.clock.now = sanction.endsAt;
    w.timers.fire();
    assert.equal(w.sanctions.current().size, 0);
    assert.equal((await getFrom(ARLO_LAPTOP, proxy.address.port, page)).status, 200);
    assert.deepEqual(await resolveFrom(ARLO_LAPTOP, dns.address.port, 'www.example.org'), [REAL_ADDRESS]);
    await w.sanctions.recordExpiries();
    assert.equal((await w.sanctions.getSanction(sanction.id))!.status, 'expired');
  });
});
