// DNS filter throughput and latency: a bounded UDP load (64 queries in flight by default) against the filter
// with a 1M-name block list, for cached allowed names and for blocked names. Prints queries/s and
// p50/p99. Run: node --import tsx bench/dns.bench.ts [queries] [in-flight]
import dgram from 'node:dgram';
import { fork, spawnSync } from 'node:child_process';
import * as dnsPacket from 'dns-packet';
import { startDnsFilter } from '../src/dns/index.ts';
import type { Decision, DecisionQuery } from '../src/engine/types.ts';

const TOTAL = Number(process.argv[2] ?? 200_000);
const IN_FLIGHT = Number(process.argv[3] ?? 64);
const LIST_SIZE = 1_000_000;
const ALLOWED_NAMES = 1_000;

const blockList = new Set<string>();
if (process.argv.includes('--serve')) for (let index = 0; index < LIST_SIZE; index++) blockList.add(`site${index}.blocked.example`);

function decide(query: DecisionQuery): Decision {
  // suffix walk, as a domain list lookup does
  let host = query.url;
  let blocked = false;
  for (;;) {
    if (blockList.has(host)) {
      blocked = true;
      break;
    }
    const dot = host.indexOf('.');
    if (dot < 0) break;
    host = host.slice(dot + 1);
  }
  return {
    action: blocked ? 'block' : 'allow',
    logged: true,
    kind: blocked ? 'block.category' : 'allow.default',
    rule: blocked ? 'bench-block' : 'default',
    layer: null,
    clauses: [],
    categories: [],
    reason: '',
    circumvention: false,
    policyRevision: 'bench',
    host: query.url,
    match: null,
    grant: null,
    supersedes: [],
    notes: [],
  };
}

async function startUpstream(): Promise<{ port: number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions![0]!;
    socket.send(
      dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 3600, data: '192.0.2.1' }] }),
      remote.port,
      remote.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: socket.address().port, close: () => socket.close() };
}

function encodeQueries(names: string[]): Buffer[] {
  return names.map((name) =>
    dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.Answer] }),
  );
}

async function load(port: number, queries: Buffer[], total: number): Promise<{ qps: number; p50: number; p99: number; lost: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const started = new Float64Array(65536);
  const latencies: number[] = [];
  let sent = 0;
  let received = 0;
  let lost = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timers = new Map<number, NodeJS.Timeout>();
    const sendOne = (): void => {
      if (sent >= total) return;
      const id = sent & 0xffff;
      const packet = queries[sent % queries.length]!;
      packet.writeUInt16BE(id, 0);
      started[id] = performance.now();
      sent++;
      // a lost packet must not stall the window
      timers.set(id, setTimeout(() => {
        timers.delete(id);
        lost++;
        done();
      }, 2000));
      socket.send(packet, port, '127.0.0.1');
    };
    const done = (): void => {
      if (received + lost >= total) resolve();
      else sendOne();
    };
    socket.on('message', (message) => {
      const id = message.readUInt16BE(0);
      const timer = timers.get(id);
      if (!timer) return;
      clearTimeout(timer);
      timers.delete(id);
      latencies.push(performance.now() - started[id]!);
      received++;
      done();
    });
    for (let index = 0; index < IN_FLIGHT; index++) sendOne();
  });
  const seconds = (performance.now() - t0) / 1000;
  socket.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  return { qps: received / seconds, p50: at(0.5), p99: at(0.99), lost };
}

// The filter runs in its own process so that the load generator does not share its event loop.
if (process.argv.includes('--serve')) {
  const upstream = await startUpstream();
  const filter = await startDnsFilter({
    host: '127.0.0.1',
    port: 0,
    upstreams: [{ host: '127.0.0.1', port: upstream.port }],
    blockAnswer: { a: '192.0.2.10' },
    identify: () => ({ role: 'pupil' }),
    decide,
    safeSearchFor: () => ({ engines: 'off', youtube: 'off' }),
    dohIsCircumvention: () => true,
    sink: () => {},
  });
  process.send!({ port: filter.address.port });
  process.on('message', async () => {
    process.send!({ stats: filter.stats() });
    await filter.close();
    upstream.close();
    process.exit(0);
  });
} else {
  const server = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => server.once('message', (message: { port: number }) => resolve(message.port)));
  const allowed = encodeQueries(Array.from({ length: ALLOWED_NAMES }, (_, index) => `www${index}.example.org`));
  const blocked = encodeQueries(Array.from({ length: ALLOWED_NAMES }, (_, index) => `www.site${index * 997}.blocked.example`));
  await load(port, allowed, ALLOWED_NAMES * 2); // warm the cache
  await load(port, allowed, 20_000); // warm the JIT
  await load(port, blocked, 20_000);

  console.log(`dns filter, ${LIST_SIZE.toLocaleString('en-GB')} listed names, ${TOTAL.toLocaleString('en-GB')} queries per run, ${IN_FLIGHT} in flight, node ${process.version}`);
  for (const [label, queries] of [['allowed (cached)', allowed], ['blocked', blocked]] as const) {
    const result = await load(port, queries, TOTAL);
    console.log(`${label.padEnd(18)} ${Math.round(result.qps).toLocaleString('en-GB').padStart(9)} q/s   p50 ${result.p50.toFixed(3)} ms   p99 ${result.p99.toFixed(3)} ms   lost ${result.lost}`);
  }
  server.send('stop');
  const { stats } = await new Promise<{ stats: { cacheHits: number; blocked: number; forwarded: number; errors: number } }>((resolve) => server.once('message', resolve as never));
  console.log(`filter stats: cache hits ${stats.cacheHits}, blocked ${stats.blocked}, forwarded ${stats.forwarded}, errors ${stats.errors}`);
  if (spawnSync('dnsperf', ['-h']).error === undefined) console.log('dnsperf is installed; compare with: dnsperf -s 127.0.0.1 -p PORT -d names.txt');
  else console.log('dnsperf not installed: no side-by-side run');
}
