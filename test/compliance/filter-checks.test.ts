// The filter checks through a real proxy and a real DNS filter, both deciding with the reference
// policy's engine and started here on 127.0.0.1: the reference tests pass and are logged; a test
// that expects the wrong thing fails, is logged and tells the network manager; the DNS path runs
// only from an address the DNS filter takes for the test's role.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { CheckIdentities, ComplianceScheduler, FilterCheckRunner, type FilterCheckTargets, type FilterCheckTest } from '../../src/compliance/index.ts';
import { startDnsFilter, type DnsFilter } from '../../src/dns/index.ts';
import { PolicyEngine, type Person } from '../../src/engine/index.ts';
import { Identifier, PeopleStore } from '../../src/identity/index.ts';
import type { ResolvedPolicy } from '../../src/policy/index.ts';
import { startProxy, type ForwardProxy } from '../../src/proxy/index.ts';
import type { StoreDatabase } from '../../src/db/index.ts';
import { buildService, Clock, DAY, freshStore, PolicyFiles, referencePolicy } from './fixture.ts';

/** Tuesday 24 November 2026, 10:15 in London: lesson and work time */
const LESSON = Date.parse('2026-11-24T10:15:00Z');
const BLOCK_ADDRESS = '192.0.2.10';

/** An upstream resolver that knows no name: NXDOMAIN with its own SOA, as a real one answers `.invalid`. */
async function startNoSuchNameResolver(): Promise<{ port: number; questions: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    questions.push(question.name.toLowerCase());
    const answer = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | 3,
      questions: [question],
      authorities: [{ type: 'SOA', name: 'invalid', ttl: 60, data: { mname: 'ns.example.org', rname: 'hostmaster.example.org', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }],
    });
    socket.send(answer, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, questions, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** The proxy's resolver: `*.example` is this machine (the local origin), everything else does not exist. */
function resolveHost(host: string): Promise<string[]> {
  if (host.endsWith('.example')) return Promise.resolve(['127.0.0.1']);
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
}

interface Running {
  proxy: ForwardProxy;
  dns: DnsFilter;
  people: PeopleStore;
  identities: CheckIdentities;
  targets(sources?: string[]): FilterCheckTargets;
}

describe('filter checks through the real proxy and DNS filter', () => {
  let tmp = '';
  let upstream: Awaited<ReturnType<typeof startNoSuchNameResolver>>;
  let origin: Server;
  let originPort = 0;
  const clock = new Clock(LESSON);
  const closing: Array<() => Promise<void> | void> = [];
  const stores: StoreDatabase[] = [];
  let counter = 0;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-checks-'));
    upstream = await startNoSuchNameResolver();
    origin = createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('no such page');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originPort = (origin.address() as AddressInfo).port;
  });
  after(async () => {
    await upstream.close();
    await new Promise<void>((resolve) => origin.close(() => resolve()));
    rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  /** The proxy and DNS filter as the server runs them, deciding with this policy. */
  async function startFilters(policy: ResolvedPolicy): Promise<Running> {
    counter += 1;
    const dataDir = join(tmp, `data-${counter}`);
    const people = PeopleStore.open(dataDir);
    closing.push(() => people.close());
    const engine = new PolicyEngine({ policy, catalogue: new CatalogueBuilder().build() });
    const identifier = new Identifier({ people, unidentifiedRole: 'guest', timeZone: 'Europe/London', clock: clock.now });
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      allowedClients: ['127.0.0.0/8'],
      identify: (clientIp, credentials) => identifier.identify(clientIp, credentials),
      decide: (query) => engine.decide(query),
      blockPage: { baseUrl: 'http://127.0.0.1:9/block', smartAdviceFor: (person) => person.role === 'pupil', timeZone: 'Europe/London' },
      resolve: resolveHost,
      now: clock.now,
    });
    closing.push(() => proxy.close(0));
    // the DNS filter knows people by address only: this machine is a pupil, 127.0.0.2 a teacher
    const byAddress = (address: string): Person => (address === '127.0.0.2' ? { role: 'teacher', groups: [] } : { role: 'pupil', groups: [] });
    const dns = await startDnsFilter({
      host: '127.0.0.1',
      port: 0,
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      blockAnswer: { a: BLOCK_ADDRESS },
      identify: byAddress,
      decide: (query) => engine.decide(query),
      safeSearchFor: () => ({ engines: 'off', youtube: 'off' }),
      dohIsCircumvention: () => false,
      now: clock.now,
    });
    closing.push(() => dns.close());
    const identities = new CheckIdentities({ people, dir: join(dataDir, 'compliance') });
    return {
      proxy,
      dns,
      people,
      identities,
      targets: (sources = ['127.0.0.1']) => ({
        proxy: { ...proxy.address, credentialsFor: (as) => identities.credentialsFor(as) },
        dns: { ...dns.address, blockAnswer: { a: BLOCK_ADDRESS }, sources, identify: byAddress },
        timeoutMs: 5_000,
      }),
    };
  }

  async function store(): Promise<StoreDatabase> {
    const opened = await freshStore('sqlite', tmp, `checks_${counter}_${stores.length}`);
    stores.push(opened.store);
    return opened.store;
  }

  it('passes the reference checks on both paths and records them, as pupil and as teacher (8.1, legal lists)', async () => {
    const policy = referencePolicy();
    const filters = await startFilters(policy);
    const runner = new FilterCheckRunner(filters.targets());
    const { service, notifier, audit } = buildService(await store(), { clock, policy: () => policy, runner });

    const run = await service.runChecks('manual', 'olive.stonechat');
    const row = (id: string, path: string) => run.results.find((r) => r.testId === id && r.path === path)!;
    assert.equal(run.results.length, 6);

    const social = row('pupil-social', 'proxy');
    assert.equal(social.outcome, 'pass');
    assert.equal(social.seen, 'blocked');
    assert.equal(social.status, 403);
    assert.equal(social.rule, 'pupil-social-media');
    assert.ok(social.clauses.includes('8.1'));
    assert.ok(social.latencyMs !== null && social.latencyMs > 0);
    const socialDns = row('pupil-social', 'dns');
    assert.equal(socialDns.outcome, 'pass');
    assert.equal(socialDns.seen, 'blocked');
    assert.equal(socialDns.status, 'NOERROR');

    // an allowed .invalid host: the proxy's upstream-error page and the resolver's NXDOMAIN both mean "let through"
    const education = row('pupil-education', 'proxy');
    assert.equal(education.outcome, 'pass');
    assert.equal(education.seen, 'allowed');
    assert.equal(education.status, 502);
    assert.match(education.detail ?? '', /could not be reached \(dns\)/);
    const educationDns = row('pupil-education', 'dns');
    assert.equal(educationDns.outcome, 'pass');
    assert.equal(educationDns.status, 'NXDOMAIN');
    assert.ok(upstream.questions.includes('education.hedgerow-check.invalid'));
    assert.ok(!upstream.questions.includes('social.hedgerow-check.invalid'));

    const legal = row('legal-block', 'proxy');
    assert.equal(legal.outcome, 'pass');
    assert.equal(legal.rule, 'council-legal-lists');
    assert.deepEqual(legal.clauses, ['legal-must-block']);
    // the DNS filter takes this machine for a pupil, so it cannot check the teacher's test
    const legalDns = row('legal-block', 'dns');
    assert.equal(legalDns.outcome, 'not-applicable');
    assert.match(legalDns.detail ?? '', /`teacher`/);

    assert.equal(run.passed, 5);
    assert.equal(run.failed, 0);
    assert.equal(run.notApplicable, 1);
    assert.equal(notifier.sent.length, 0);
    const log = await service.checkLog();
    assert.equal(log.items[0]!.id, run.id);
    assert.equal(log.items[0]!.requestedBy, 'olive.stonechat');
    assert.equal(log.nextDueAt, run.startedAt + DAY);
    const audited = (await audit.entries()).find((e) => e.action === 'compliance.check-run');
    assert.deepEqual(audited?.after, { passed: 5, failed: 0, notApplicable: 1 });

    // the check identities: one per role, in the people store, their passwords only in the data folder
    assert.equal(filters.people.get('hedgerow-check.pupil')?.role, 'pupil');
    assert.equal(filters.people.get('hedgerow-check.teacher')?.role, 'teacher');
    const file = join(tmp, `data-${counter}`, 'compliance', 'check-identities.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(tmp, `data-${counter}`, 'compliance')).mode & 0o777, 0o700);
    const secrets = readFileSync(file, 'utf8');
    const again = await service.runChecks('manual', 'olive.stonechat');
    assert.equal(again.passed, 5);
    assert.equal(readFileSync(file, 'utf8'), secrets);
  });

  it('fails a check that expects the wrong answer or the wrong clause, logs it and tells the network manager', async () => {
    const files = new PolicyFiles();
    files.edit('url: "http://education.hedgerow-check.invalid/", as: { role: pupil }, expect: allow', 'url: "http://education.hedgerow-check.invalid/", as: { role: pupil }, expect: block');
    files.edit('as: { role: pupil }, expect: block, clauses: ["8.1"]', 'as: { role: pupil }, expect: block, clauses: ["7.7"]');
    const policy = files.load();
    const filters = await startFilters(policy);
    const { service, notifier } = buildService(await store(), { clock, policy: () => policy, runner: new FilterCheckRunner(filters.targets()) });

    const run = await service.runChecks('manual', 'olive.stonechat');
    const row = (id: string, path: string) => run.results.find((r) => r.testId === id && r.path === path)!;
    const education = row('pupil-education', 'proxy');
    assert.equal(education.outcome, 'fail');
    assert.equal(education.expected, 'blocked');
    assert.equal(education.seen, 'allowed');
    assert.match(education.detail ?? '', /^expected blocked, the filter allowed/);
    assert.equal(row('pupil-education', 'dns').outcome, 'fail');
    // blocked, but for another clause than the test names
    const social = row('pupil-social', 'proxy');
    assert.equal(social.seen, 'blocked');
    assert.equal(social.outcome, 'fail');
    assert.match(social.detail ?? '', /not 7\.7/);
    // DNS reports no clauses, so only the answer counts there
    assert.equal(row('pupil-social', 'dns').outcome, 'pass');
    assert.equal(run.failed, 3);

    assert.equal(notifier.sent.length, 1);
    const told = notifier.sent[0]!;
    assert.equal(told.kind, 'compliance.check-failed');
    assert.deepEqual(told.to, [{ role: 'network-manager' }]);
    assert.match(told.subject, /3 of 5/);
    assert.match(told.text, /pupil-education \(proxy, as pupil\)/);
    assert.deepEqual(told.about, { type: 'filter-check-run', id: run.id });
    const logged = (await service.checkLog()).items[0]!;
    assert.equal(logged.failed, 3);
    assert.equal(logged.results.find((r) => r.testId === 'pupil-social' && r.path === 'proxy')?.detail, social.detail);
  });

  it('checks DNS as a teacher from an address the DNS filter takes for a teacher, and a staff warning on both paths (6.1)', async () => {
    const policy = referencePolicy();
    const filters = await startFilters(policy);
    const runner = new FilterCheckRunner(filters.targets(['127.0.0.1', '127.0.0.2']));
    const tests: FilterCheckTest[] = [
      { id: 'legal-block', url: 'http://legal.hedgerow-check.invalid/', as: { role: 'teacher', groups: [] }, expect: 'block', clauses: ['legal-must-block'] },
      { id: 'staff-social', url: 'http://social.hedgerow-check.invalid/', as: { role: 'teacher', groups: [] }, expect: 'warn', clauses: ['6.1'] },
      { id: 'class-pupil', url: 'http://social.hedgerow-check.invalid/', as: { role: 'pupil', groups: ['class-4n'] }, expect: 'block', clauses: [] },
    ];
    const results = await runner.run(tests, policy);
    const row = (id: string, path: string) => results.find((r) => r.testId === id && r.path === path)!;
    assert.equal(row('legal-block', 'dns').outcome, 'pass');
    assert.match(row('legal-block', 'dns').detail ?? '', /asked from 127\.0\.0\.2/);
    const warned = row('staff-social', 'proxy');
    assert.equal(warned.seen, 'warned');
    assert.equal(warned.rule, 'staff-social-media-work-time');
    assert.equal(warned.outcome, 'pass');
    // a DNS filter that answers with the block page's address sends a warned name there too
    assert.equal(row('staff-social', 'dns').expected, 'blocked');
    assert.equal(row('staff-social', 'dns').outcome, 'pass');
    // a pupil in a class: the proxy signs in as one; no address is taken for that class by the DNS filter
    assert.equal(row('class-pupil', 'proxy').outcome, 'pass');
    assert.equal(filters.people.get('hedgerow-check.pupil.class-4n')?.groups.join(), 'class-4n');
    assert.equal(row('class-pupil', 'dns').outcome, 'not-applicable');
  });

  it("counts a site's own answer through the proxy as allowed and an unreachable filter as an error", async () => {
    const policy = referencePolicy();
    const filters = await startFilters(policy);
    const tests: FilterCheckTest[] = [{ id: 'origin', url: `http://pages.example:${originPort}/missing`, as: { role: 'pupil', groups: [] }, expect: 'allow', clauses: [] }];
    const [viaProxy] = await new FilterCheckRunner(filters.targets()).run(tests, policy);
    assert.equal(viaProxy!.seen, 'allowed');
    assert.equal(viaProxy!.status, 404);
    assert.equal(viaProxy!.outcome, 'pass');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = new FilterCheckRunner({ ...filters.targets(), proxy: { host: '127.0.0.1', port: deadPort, credentialsFor: (as) => filters.identities.credentialsFor(as) } });
    const [unreachable] = await gone.run(tests, policy);
    assert.equal(unreachable!.seen, 'error');
    assert.equal(unreachable!.outcome, 'fail');
    assert.match(unreachable!.detail ?? '', /could not be reached/);
  });

  it('refuses the check identity the people store switched off, as an error of that check', async () => {
    const policy = referencePolicy();
    const filters = await startFilters(policy);
    await filters.identities.credentialsFor({ role: 'pupil', groups: [] });
    filters.people.setActive('hedgerow-check.pupil', false);
    const results = await new FilterCheckRunner(filters.targets()).run(policy.workflows.compliance!.filterChecks!.tests, policy);
    const social = results.find((r) => r.testId === 'pupil-social' && r.path === 'proxy')!;
    assert.equal(social.seen, 'error');
    assert.match(social.detail ?? '', /switched off/);
    // the teacher's identity is unaffected
    assert.equal(results.find((r) => r.testId === 'legal-block' && r.path === 'proxy')!.outcome, 'pass');
  });

  it('runs the checks when they are due, once per interval, across a restart of the scheduler', async () => {
    const policy = referencePolicy();
    const filters = await startFilters(policy);
    const runner = new FilterCheckRunner(filters.targets());
    const db = await store();
    // the server builds the service before the proxy and DNS filter start, and hands it the runner after
    const first = buildService(db, { clock, policy: () => policy });
    const scheduler = new ComplianceScheduler({ service: first.service });
    assert.equal(first.service.checksAvailable, false);
    assert.equal((await scheduler.tick()).checks, null);
    first.service.setRunner(runner);
    const round = await scheduler.tick();
    assert.equal(round.checks?.trigger, 'schedule');
    assert.equal(round.checks?.requestedBy, null);
    assert.equal((await scheduler.tick()).checks, null);
    await scheduler.close();

    const second = buildService(db, { clock, policy: () => policy, runner });
    const restarted = new ComplianceScheduler({ service: second.service });
    assert.equal((await restarted.tick()).checks, null);
    clock.advance(DAY);
    assert.notEqual((await restarted.tick()).checks, null);
    assert.equal((await second.service.checkLog()).items.length, 2);
    await restarted.close();
    clock.at = LESSON;
  });
});
