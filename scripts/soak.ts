// The soak: Hedgerow as `hedgerow start` runs it (reference policy, a temporary data folder), driven
// at a steady rate for N minutes by a fixed mix of proxy HTTP (allowed and blocked), CONNECT
// tunnels carrying TLS, DNS queries (allowed and blocked) and API reads, all to local origins.
// Every 10 s it samples RSS and the heap (after a full GC when node runs with --expose-gc);
// at the end it prints the samples, the growth from the first minute to the last (MiB/min),
// errors by kind, and the decision events the driver caused against those stored (no loss).
//
//   npm run soak -- --minutes 10 [--rate 50] [--sample-seconds 10] [--json FILE]
//
// The driver's traffic comes from 127.0.0.2, so its events can be told from any others (the
// scheduled filter checks browse through the proxy too).
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import * as dnsPacket from 'dns-packet';
import { importList } from '../src/catalog/index.ts';
import { configSchema } from '../src/config/index.ts';
import { createCertificateAuthority, LeafIssuer } from '../src/proxy/index.ts';
import { startHedgerow, type RunningHedgerow } from '../src/server/index.ts';
import { databasePath } from '../src/store/index.ts';

export interface SoakOptions {
  minutes: number;
  /** operations started per second */
  rate: number;
  sampleSeconds: number;
  /** where progress lines go (default stdout) */
  say?: (line: string) => void;
}

export interface SoakSample {
  /** seconds since the driver started */
  at: number;
  rssMiB: number;
  heapMiB: number;
  operations: number;
  errors: number;
  proxyConnections: number;
}

export interface SoakReport {
  minutes: number;
  rate: number;
  gc: boolean;
  operations: Record<string, number>;
  errors: Record<string, number>;
  /** the proxy's upstream failures by kind (the filter checks' `.invalid` names among them) */
  upstreamFailures: Record<string, number>;
  samples: SoakSample[];
  growth: { heapFirstMinuteMiB: number; heapLastMinuteMiB: number; heapMiBPerMin: number; rssFirstMinuteMiB: number; rssLastMinuteMiB: number; rssMiBPerMin: number };
  events: {
    /** decision events the driver's requests must have caused (one per proxy request, tunnel and DNS query) */
    caused: number;
    /** of those, stored in the decision log (by the driver's client address) */
    storedFromDriver: number;
    /** every event handed to the decision log, the driver's and any other */
    handed: number;
    /** every event in the decision log's database */
    stored: number;
    dropped: number;
    /** handed − stored, and caused − storedFromDriver: both must be 0 */
    lost: number;
  };
}

/** The fixed mix, one slot per operation, walked round in order (20 slots). */
const mix = [
  'http-allow', 'http-block', 'dns-allow', 'connect', 'http-allow', 'api', 'dns-block', 'http-allow', 'connect', 'http-block',
  'dns-allow', 'http-allow', 'health', 'connect', 'http-allow', 'dns-block', 'http-block', 'api', 'dns-allow', 'http-allow',
] as const;
type Operation = (typeof mix)[number];
/** operations that cause one decision event each */
const decided = new Set<Operation>(['http-allow', 'http-block', 'connect', 'dns-allow', 'dns-block']);

const driverAddress = '127.0.0.2';
const MiB = 1024 * 1024;
const operationTimeoutMs = 10_000;
/** operations in flight at once; past this an operation is skipped and counted as an error */
const maxInFlight = 256;
const password = 'Soak-Hazel-Lantern-42';

class SoakError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}

function withTimeout<T>(kind: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new SoakError(`${kind}: timeout`, `no answer within ${operationTimeoutMs} ms`)), operationTimeoutMs);
  return new Promise<T>((resolvePromise, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
    work(controller.signal).then(resolvePromise, reject);
  }).finally(() => clearTimeout(timer));
}

/** A resolver that answers every A question with 192.0.2.1 (TTL 2 s, so the filter's cache turns over). */
async function startStubResolver(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, remote) => {
    try {
      const query = dnsPacket.decode(message);
      const question = query.questions?.[0];
      const answers = question?.type === 'A' ? [{ type: 'A' as const, name: question.name, ttl: 2, data: '192.0.2.1' }] : [];
      socket.send(dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: query.questions ?? [], answers }), remote.port, remote.address);
    } catch {
      // not a query: no answer
    }
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, close: () => new Promise((r) => socket.close(() => r())) };
}

/** The TLS origin listens on 8443 (a port a CONNECT may ask for) of a spare loopback address. */
async function listenOnSpareLoopback(server: https.Server): Promise<string> {
  for (let third = 88; third < 98; third++) {
    const address = `127.${third}.0.1`;
    try {
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(8443, address, () => {
          server.off('error', reject);
          resolveListen();
        });
      });
      return address;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error('no loopback address with port 8443 free for the TLS origin');
}

async function apiCall(base: string, method: string, path: string, body: unknown, cookie: string | null, signal?: AbortSignal): Promise<{ status: number; json: unknown; setCookie: string | null }> {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, setCookie: response.headers.get('set-cookie') };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const gc = (globalThis as { gc?: () => void }).gc;
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-soak-'));
  const dataDir = join(dir, 'data');
  // reserved names: a social network (blocked for pupils, 8.1); everything else is allowed by default
  writeFileSync(join(dir, 'social.txt'), 'chat.example\n');
  importList(dataDir, join(dir, 'social.txt'), { format: 'domains', category: 'social-networking', name: 'soak-social' });

  // origins keep idle connections longer than the proxy's pool does (30 s), as most servers do
  const origin = http.createServer({ keepAliveTimeout: 75_000 }, (req, res) => {
    const body = `soak origin ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  const originPort = (origin.address() as net.AddressInfo).port;
  const ca = await createCertificateAuthority({ name: 'Hedgerow soak origin CA', days: 2 });
  const issuer = new LeafIssuer(ca);
  await issuer.init();
  const secureOrigin = https.createServer(
    { SNICallback: (name, done) => void issuer.contextFor(name).then((context) => done(null, context), (error: Error) => done(error)), keepAliveTimeout: 75_000 },
    (req, res) => {
      const body = `soak secure origin ${req.url}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  );
  const secureAddress = await listenOnSpareLoopback(secureOrigin);
  const resolver = await startStubResolver();

  const lines: string[] = [];
  let running: RunningHedgerow | null = null;
  try {
    running = await startHedgerow(
      configSchema.parse({
        dataDir,
        proxy: { port: 0 },
        dns: { port: 0, upstreams: [{ host: '127.0.0.1', port: resolver.port }] },
        http: { port: 0 },
        networks: [{ name: 'soak clients', cidr: '127.0.0.0/8', role: 'pupil' }],
        watchPolicy: false,
      }),
      {
        log: (line) => lines.push(line),
        // the test sites are the local origins; nothing leaves this machine
        resolveHost: async (host) => (host === 'secure.example' ? [secureAddress] : host.endsWith('.example') ? ['127.0.0.1'] : []),
      },
    );
    const hedgerow = running;
    const proxyPort = hedgerow.proxy!.address.port;
    const dnsPort = hedgerow.dns!.address.port;
    const base = `http://127.0.0.1:${hedgerow.http.port}`;

    // an administrator through the one-time setup link, then a session for the API reads
    if (!hedgerow.setupUrl) throw new Error(`no setup link: ${lines.join('\n')}`);
    const token = new URL(hedgerow.setupUrl.replace('#/setup', 'setup')).searchParams.get('token');
    const setup = await apiCall(base, 'POST', '/api/setup', { token, username: 'soak.head', displayName: 'Soak Head', password, role: 'headteacher' }, null);
    if (setup.status !== 200 && setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${JSON.stringify(setup.json)}`);
    const session = await apiCall(base, 'POST', '/api/session', { username: 'soak.head', password }, null);
    if (session.status !== 200 || !session.setCookie) throw new Error(`sign-in failed: ${session.status} ${JSON.stringify(session.json)}`);
    const cookie = session.setCookie.split(';')[0]!;

    // Idle connections are given up well before the proxy's keep-alive time (60 s, sent as
    // `Keep-Alive: timeout=60`), as browsers do: otherwise a request can be written on a
    // connection in the very moment the proxy closes it, which node's agent does not retry.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16, localAddress: driverAddress, timeout: 30_000 });
    const proxyGet = (url: string, signal: AbortSignal): Promise<{ status: number; body: string }> =>
      new Promise((resolveGet, reject) => {
        const request = http.request({ host: '127.0.0.1', port: proxyPort, path: url, headers: { host: new URL(url).host, accept: 'text/html' }, agent, signal }, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolveGet({ status: response.statusCode ?? 0, body }));
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end();
      });
    const tunnelGet = (path: string, signal: AbortSignal): Promise<{ status: number; body: string }> =>
      new Promise((resolveGet, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: proxyPort, localAddress: driverAddress });
        let secure: tls.TLSSocket | null = null;
        const fail = (error: Error): void => {
          socket.destroy();
          secure?.destroy();
          reject(error);
        };
        signal.addEventListener('abort', () => fail(signal.reason as Error), { once: true });
        socket.on('error', fail);
        socket.once('connect', () => socket.write(`CONNECT secure.example:8443 HTTP/1.1\r\nHost: secure.example:8443\r\n\r\n`));
        let head = '';
        const onHead = (chunk: Buffer): void => {
          head += chunk.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.off('data', onHead);
          if (!head.startsWith('HTTP/1.1 200')) return fail(new SoakError('connect: refused', head.split('\r\n')[0]!));
          secure = tls.connect({ socket, servername: 'secure.example', ca: ca.cert });
          secure.on('error', fail);
          secure.once('secureConnect', () => {
            const request = https.request({ createConnection: () => secure!, path, headers: { host: 'secure.example:8443', connection: 'close' } }, (response) => {
              let body = '';
              response.setEncoding('utf8');
              response.on('data', (c: string) => (body += c));
              response.on('end', () => {
                secure!.destroy();
                resolveGet({ status: response.statusCode ?? 0, body });
              });
            });
            request.on('error', fail);
            request.end();
          });
        };
        socket.on('data', onHead);
      });
    const dnsSocket = dgram.createSocket('udp4');
    dnsSocket.bind(0, driverAddress);
    await once(dnsSocket, 'listening');
    const dnsWaiting = new Map<number, (packet: dnsPacket.DecodedPacket) => void>();
    dnsSocket.on('message', (message) => {
      try {
        const packet = dnsPacket.decode(message);
        dnsWaiting.get(packet.id ?? -1)?.(packet);
        dnsWaiting.delete(packet.id ?? -1);
      } catch {
        // counted as a timeout by the asker
      }
    });
    let dnsId = 0;
    const dnsAsk = (name: string, signal: AbortSignal): Promise<dnsPacket.DecodedPacket> =>
      new Promise((resolveAsk, reject) => {
        dnsId = (dnsId + 1) & 0xffff;
        const id = dnsId;
        dnsWaiting.set(id, resolveAsk);
        signal.addEventListener('abort', () => {
          dnsWaiting.delete(id);
          reject(signal.reason as Error);
        }, { once: true });
        dnsSocket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] }), dnsPort, '127.0.0.1');
      });

    let sequence = 0;
    const expect = (kind: string, ok: boolean, what: string): void => {
      if (!ok) throw new SoakError(kind, what);
    };
    const operate = async (operation: Operation, n: number, signal: AbortSignal): Promise<void> => {
      switch (operation) {
        case 'http-allow': {
          const answer = await proxyGet(`http://lessons.example:${originPort}/page-${n}`, signal);
          return expect('http-allow: wrong answer', answer.status === 200 && answer.body === `soak origin /page-${n}`, `${answer.status}`);
        }
        case 'http-block': {
          const answer = await proxyGet(`http://chat.example/${n}`, signal);
          return expect('http-block: wrong answer', answer.status === 403 && answer.body.includes('8.1'), `${answer.status}`);
        }
        case 'connect': {
          const answer = await tunnelGet(`/secure-${n}`, signal);
          return expect('connect: wrong answer', answer.status === 200 && answer.body === `soak secure origin /secure-${n}`, `${answer.status}`);
        }
        case 'dns-allow': {
          const answer = await dnsAsk(`www${n % 50}.lessons.example`, signal);
          return expect('dns-allow: wrong answer', (answer.answers?.[0] as { data?: unknown } | undefined)?.data === '192.0.2.1', JSON.stringify(answer.answers));
        }
        case 'dns-block': {
          const answer = await dnsAsk('chat.example', signal);
          return expect('dns-block: wrong answer', (answer.answers?.[0] as { data?: unknown } | undefined)?.data === '127.0.0.1', JSON.stringify(answer.answers));
        }
        case 'api': {
          const answer = await apiCall(base, 'GET', n % 2 === 0 ? '/api/overview' : '/api/policy', undefined, cookie, signal);
          return expect('api: wrong answer', answer.status === 200, `${answer.status}`);
        }
        case 'health': {
          const answer = await apiCall(base, 'GET', '/health', undefined, null, signal);
          return expect('health: wrong answer', answer.status === 200, `${answer.status}`);
        }
      }
    };

    const operations: Record<string, number> = {};
    const errors: Record<string, number> = {};
    const examples: Record<string, string> = {};
    let caused = 0;
    let inFlight = 0;
    let done = 0;
    let failed = 0;
    const pending = new Set<Promise<void>>();
    const start = (): void => {
      const operation = mix[sequence % mix.length]!;
      const n = sequence++;
      if (inFlight >= maxInFlight) {
        errors['backlog: skipped'] = (errors['backlog: skipped'] ?? 0) + 1;
        failed++;
        return;
      }
      inFlight++;
      operations[operation] = (operations[operation] ?? 0) + 1;
      const work = withTimeout(operation, (signal) => operate(operation, n, signal)).then(
        () => {
          // an operation that got its answer was decided once (a refused one may not have been)
          if (decided.has(operation)) caused++;
        },
        (error: unknown) => {
          const kind = error instanceof SoakError ? error.kind : `${operation}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
          errors[kind] = (errors[kind] ?? 0) + 1;
          examples[kind] ??= (error as Error).message;
          failed++;
        },
      );
      const tracked = work.finally(() => {
        inFlight--;
        done++;
        pending.delete(tracked);
      });
      pending.add(tracked);
    };

    // the first answers warm everything up; the samples start from a settled process
    for (let i = 0; i < mix.length; i++) start();
    await Promise.all(pending);
    if (failed > 0) throw new Error(`the warm-up failed: ${JSON.stringify(errors)} ${JSON.stringify(examples)}`);
    const warmCaused = caused;

    const samples: SoakSample[] = [];
    const began = performance.now();
    const totalMs = options.minutes * 60_000;
    const sample = (): void => {
      gc?.();
      const memory = process.memoryUsage();
      const entry: SoakSample = {
        at: Math.round((performance.now() - began) / 1000),
        rssMiB: memory.rss / MiB,
        heapMiB: memory.heapUsed / MiB,
        operations: done,
        errors: failed,
        proxyConnections: hedgerow.proxy!.stats().activeConnections,
      };
      samples.push(entry);
      say(`${String(entry.at).padStart(5)} s  rss ${entry.rssMiB.toFixed(1).padStart(7)} MiB  heap ${entry.heapMiB.toFixed(1).padStart(6)} MiB  ops ${String(entry.operations).padStart(7)}  errors ${entry.errors}  proxy connections ${entry.proxyConnections}`);
    };
    say(`soak: ${options.minutes} min at ${options.rate} operations/s (${mix.length}-slot mix: ${[...new Set(mix)].join(', ')}); gc ${gc ? 'on' : 'off (run node with --expose-gc)'}`);
    sample();
    // operations are started on a fixed schedule, not when earlier ones finish (an open loop)
    const intervalMs = 1000 / options.rate;
    await new Promise<void>((resolveRun) => {
      let started = 0;
      let nextSample = options.sampleSeconds * 1000;
      const tick = (): void => {
        const elapsed = performance.now() - began;
        const due = Math.min(Math.floor(elapsed / intervalMs), Math.floor(totalMs / intervalMs));
        while (started < due) {
          start();
          started++;
        }
        if (elapsed >= nextSample) {
          sample();
          nextSample += options.sampleSeconds * 1000;
        }
        if (elapsed >= totalMs) return resolveRun();
        setTimeout(tick, Math.min(intervalMs, 20));
      };
      tick();
    });
    await Promise.all(pending);
    agent.destroy();
    dnsSocket.close();
    // The filters' own error counters count as errors too. Upstream failures do not: the
    // driver sees its own as failed operations, and the scheduled filter checks fetch names
    // under `.invalid` that never resolve (reported apart).
    const proxyStats = hedgerow.proxy!.stats();
    const counters: Array<[string, Record<string, unknown>, string[]]> = [
      ['proxy', proxyStats as unknown as Record<string, unknown>, ['internalErrors', 'decideErrors', 'sinkErrors', 'badRequests']],
      ['dns', hedgerow.dns!.stats() as unknown as Record<string, unknown>, ['errors', 'servfail', 'upstreamTimeouts', 'upstreamErrors']],
    ];
    for (const [point, stats, names] of counters) {
      for (const name of names) {
        const value = stats[name];
        if (typeof value === 'number' && value > 0) errors[`${point}: ${name}`] = value;
      }
    }
    const upstreamFailures = Object.fromEntries(Object.entries(proxyStats.upstreamErrors).filter(([, n]) => n > 0));

    // every event handed to the log reaches the database: compare after a flush
    await hedgerow.log.flush();
    const logStats = hedgerow.log.stats();
    const stored = (hedgerow.log.backend as unknown as { count(): number }).count();
    const db = new Database(databasePath(dataDir), { readonly: true, fileMustExist: true });
    const storedFromDriver = (db.prepare('SELECT count(*) AS n FROM decision_events WHERE client_ip = ?').get(driverAddress) as { n: number }).n;
    db.close();
    const handed = logStats.spooled + logStats.dropped;
    const lost = Math.max(0, handed - stored) + Math.max(0, caused - storedFromDriver);

    const firstMinute = samples.filter((s) => s.at <= 60);
    const lastMinute = samples.filter((s) => s.at >= samples[samples.length - 1]!.at - 60);
    const span = (mean(lastMinute.map((s) => s.at)) - mean(firstMinute.map((s) => s.at))) / 60;
    const growth = {
      heapFirstMinuteMiB: mean(firstMinute.map((s) => s.heapMiB)),
      heapLastMinuteMiB: mean(lastMinute.map((s) => s.heapMiB)),
      heapMiBPerMin: 0,
      rssFirstMinuteMiB: mean(firstMinute.map((s) => s.rssMiB)),
      rssLastMinuteMiB: mean(lastMinute.map((s) => s.rssMiB)),
      rssMiBPerMin: 0,
    };
    if (span > 0) {
      growth.heapMiBPerMin = (growth.heapLastMinuteMiB - growth.heapFirstMinuteMiB) / span;
      growth.rssMiBPerMin = (growth.rssLastMinuteMiB - growth.rssFirstMinuteMiB) / span;
    }
    const report: SoakReport = {
      minutes: options.minutes,
      rate: options.rate,
      gc: gc !== undefined,
      operations,
      errors,
      upstreamFailures,
      samples,
      growth,
      events: { caused, storedFromDriver, handed, stored, dropped: logStats.dropped, lost },
    };
    say('');
    say(`operations: ${Object.entries(operations).map(([k, v]) => `${k} ${v}`).join(', ')} (${warmCaused} decided in the warm-up)`);
    say(`errors: ${Object.keys(errors).length === 0 ? 'none' : Object.entries(errors).map(([k, v]) => `${k} ${v} (e.g. ${examples[k] ?? ''})`).join('; ')}`);
    say(`proxy upstream failures (the filter checks' names under .invalid among them): ${Object.keys(upstreamFailures).length === 0 ? 'none' : Object.entries(upstreamFailures).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    say(`heap: ${growth.heapFirstMinuteMiB.toFixed(1)} MiB (first minute) → ${growth.heapLastMinuteMiB.toFixed(1)} MiB (last minute): ${growth.heapMiBPerMin.toFixed(2)} MiB/min`);
    say(`rss:  ${growth.rssFirstMinuteMiB.toFixed(1)} MiB (first minute) → ${growth.rssLastMinuteMiB.toFixed(1)} MiB (last minute): ${growth.rssMiBPerMin.toFixed(2)} MiB/min`);
    say(`decision events: the driver caused ${caused}, ${storedFromDriver} of them stored; handed to the log ${handed} in all, ${stored} stored, ${logStats.dropped} dropped; lost ${lost}`);
    return report;
  } finally {
    await running?.close();
    await resolver.close();
    secureOrigin.closeAllConnections();
    origin.closeAllConnections();
    secureOrigin.close();
    origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string', default: '50' },
      'sample-seconds': { type: 'string', default: '10' },
      json: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes ?? process.env.HEDGEROW_SOAK_MINUTES ?? '10');
  const rate = Number(values.rate);
  const sampleSeconds = Number(values['sample-seconds']);
  if (!(minutes > 0) || !(rate > 0) || !(sampleSeconds > 0)) {
    process.stderr.write('usage: npm run soak -- [--minutes N] [--rate OPS_PER_SECOND] [--sample-seconds S] [--json FILE]\n');
    process.exit(2);
  }
  const report = await runSoak({ minutes, rate, sampleSeconds });
  if (values.json) writeFileSync(resolve(values.json), `${JSON.stringify(report, null, 2)}\n`);
  const clean = Object.keys(report.errors).length === 0 && report.events.lost === 0 && report.events.dropped === 0;
  process.exit(clean ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
