// Hedgerow started for the fault tests: the reference policy (a copy the test may break), an
// origin and a DNS upstream the test can take down, 127.0.0.2 as a teacher's machine and the rest
// of 127.0.0.0/8 as the pupils' network. Reserved names only (`*.example`, `*.example.org`).
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { configSchema } from '../../../src/config/index.ts';
import { referencePolicyPath } from '../../../src/runtime/index.ts';
import { startHedgerow, type RunningHedgerow, type ServerHealth } from '../../../src/server/index.ts';

export const PUPIL_IP = '127.0.0.1';
export const TEACHER_IP = '127.0.0.2';
/** a Tuesday in term, in lesson time (Europe/London) */
export const LESSON_TIME = Date.parse('2026-11-24T10:15:00Z');

export type UpstreamMode = 'up' | 'silent' | 'servfail';

export interface SwitchableUpstream {
  port: number;
  /** up: answers; silent: never replies (a black hole); servfail: answers SERVFAIL */
  mode: UpstreamMode;
  /** questions seen */
  questions: number;
  close(): Promise<void>;
}

/** A resolver answering every `*.example.org` A question with 192.0.2.x (TTL 60), NXDOMAIN otherwise. */
export async function startSwitchableUpstream(): Promise<SwitchableUpstream> {
  const state: SwitchableUpstream = { port: 0, mode: 'up', questions: 0, close: async () => undefined };
  const answer = (query: Buffer): Buffer | null => {
    const packet = dnsPacket.decode(query);
    const question = packet.questions?.[0];
    if (!question) return null;
    state.questions++;
    if (state.mode === 'silent') return null;
    const known = question.type === 'A' && question.name.toLowerCase().endsWith('.example.org');
    const rcode = state.mode === 'servfail' ? 2 : known ? 0 : 3;
    return dnsPacket.encode({
      type: 'response',
      id: packet.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: [question],
      answers: rcode === 0 ? [{ type: 'A', name: question.name, ttl: 60, data: `192.0.2.${(question.name.length % 200) + 1}` }] : [],
      authorities:
        rcode === 3
          ? [{ type: 'SOA', name: 'example.org', ttl: 60, data: { mname: 'ns.example.org', rname: 'hostmaster.example.org', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }]
          : [],
    });
  };
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (message, remote) => {
      try {
        const reply = answer(message);
        if (reply) udp.send(reply, remote.port, remote.address);
      } catch {
        // not a query
      }
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    // the forwarder retries over TCP only for truncated answers, which this one never gives;
    // the TCP twin is bound so the port stays this resolver's
    const tcp = net.createServer((socket) => socket.destroy());
    const bound = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) {
      udp.close();
      if (attempt > 20) throw new Error('no free UDP and TCP port pair');
      continue;
    }
    state.port = port;
    state.close = () => Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]).then(() => undefined);
    return state;
  }
}

export interface Origin {
  port: number;
  /** replaces how the origin answers */
  handle: (request: http.IncomingMessage, response: http.ServerResponse) => void;
  close(): Promise<void>;
}

export async function startOrigin(): Promise<Origin> {
  const sockets = new Set<net.Socket>();
  const origin: Origin = {
    port: 0,
    handle: (request, response) => {
      const body = `origin saw ${request.url}`;
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    },
    close: async () => undefined,
  };
  const server = http.createServer((request, response) => origin.handle(request, response));
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.port = (server.address() as net.AddressInfo).port;
  origin.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return origin;
}

export interface StackOptions {
  dataDir?: string;
  database?: string;
  watchPolicy?: boolean;
  /** the server's clock (default: fixed at LESSON_TIME) */
  now?: () => number;
  /** DNS filter off (the PostgreSQL test needs only the proxy) */
  dns?: boolean;
}

export interface Stack {
  running: RunningHedgerow;
  dataDir: string;
  schoolFile: string;
  goodSchool: string;
  origin: Origin;
  upstream: SwitchableUpstream;
  /** what the server printed */
  lines: string[];
  /** `http://NAME.example:PORT/PATH` on the origin */
  originUrl(name: string, path?: string): string;
  get(url: string, options?: { from?: string; timeoutMs?: number }): Promise<ProxyReply>;
  ask(name: string, options?: { from?: string; type?: dnsPacket.RecordType; timeoutMs?: number }): Promise<DnsReply>;
  health(): Promise<{ status: number; body: ServerHealth }>;
  /** flushes the decision log and counts the stored events whose host starts with `prefix` */
  storedFor(prefix: string): Promise<number>;
  close(): Promise<void>;
}

export interface ProxyReply {
  status: number;
  body: string;
  /** how the exchange ended: `end` (whole body), or the error that cut it (`aborted`, `ECONNRESET`, …) */
  ended: string;
  ms: number;
}

export interface DnsReply {
  rcode: number;
  answers: string[];
  ttl: number | null;
  ms: number;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const policyDir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-policy-'));
  copyFileSync(join(dirname(referencePolicyPath()), 'council.yaml'), join(policyDir, 'council.yaml'));
  copyFileSync(referencePolicyPath(), join(policyDir, 'school.yaml'));
  const schoolFile = join(policyDir, 'school.yaml');
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hedgerow-fault-data-'));
  const origin = await startOrigin();
  const upstream = await startSwitchableUpstream();
  const lines: string[] = [];
  const running = await startHedgerow(
    configSchema.parse({
      policy: schoolFile,
      dataDir,
      ...(options.database ? { database: options.database } : {}),
      proxy: { port: 0 },
      dns: options.dns === false ? { enabled: false } : { port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.port }] },
      http: { port: 0 },
      networks: [
        { cidr: `${TEACHER_IP}/32`, role: 'teacher' },
        { cidr: '127.0.0.0/8', role: 'pupil', groups: ['class-4n'] },
      ],
      watchPolicy: options.watchPolicy ?? false,
    }),
    {
      now: options.now ?? (() => LESSON_TIME),
      log: (line) => lines.push(line),
      resolveHost: async (host) => {
        if (host.endsWith('.example')) return ['127.0.0.1'];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      },
    },
  );
  const stack: Stack = {
    running,
    dataDir,
    schoolFile,
    goodSchool: readFileSync(schoolFile, 'utf8'),
    origin,
    upstream,
    lines,
    originUrl: (name, path = '/') => `http://${name}.example:${origin.port}${path}`,
    get: (url, o = {}) => proxyGet(running.proxy!.address.port, url, o.from ?? PUPIL_IP, o.timeoutMs ?? 10_000),
    ask: (name, o = {}) => dnsAsk(running.dns!.address.port, name, o.from ?? PUPIL_IP, o.type ?? 'A', o.timeoutMs ?? 10_000),
    health: async () => {
      const response = await fetch(`http://127.0.0.1:${running.http.port}/health`);
      return { status: response.status, body: (await response.json()) as ServerHealth };
    },
    storedFor: async (prefix) => {
      await running.log.flush();
      const events = (await running.log.search({ limit: 10_000 })) as Array<{ host: string }>;
      return events.filter((event) => event.host.startsWith(prefix)).length;
    },
    close: async () => {
      await running.close();
      await origin.close();
      await upstream.close();
      rmSync(policyDir, { recursive: true, force: true });
      // a data folder the test made (and may have mounted a disk on) is the test's to remove
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** One GET through the proxy from `from`; never rejects: a cut exchange says how it ended. */
export function proxyGet(proxyPort: number, url: string, from: string, timeoutMs: number): Promise<ProxyReply> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (reply: Omit<ProxyReply, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...reply, ms: performance.now() - started });
    };
    const request = http.request({ host: '127.0.0.1', port: proxyPort, localAddress: from, method: 'GET', path: url, headers: { host: new URL(url).host, accept: 'text/html' }, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => finish({ status: response.statusCode ?? 0, body, ended: 'end' }));
      response.on('aborted', () => finish({ status: response.statusCode ?? 0, body, ended: 'aborted' }));
      response.on('error', (error: NodeJS.ErrnoException) => finish({ status: response.statusCode ?? 0, body, ended: error.code ?? error.message }));
      response.on('close', () => finish({ status: response.statusCode ?? 0, body, ended: response.complete ? 'end' : 'closed' }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: '', ended: error.code ?? error.message }));
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: 0, body: '', ended: 'hung' });
    }, timeoutMs);
    request.end();
  });
}

/** One DNS question over UDP from `from`; rcode -1 when no answer came within the timeout. */
export function dnsAsk(port: number, name: string, from: string, type: dnsPacket.RecordType, timeoutMs: number): Promise<DnsReply> {
  const started = performance.now();
  const id = (Math.random() * 0xffff) | 0;
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const done = (reply: Omit<DnsReply, 'ms'>): void => {
      clearTimeout(timer);
      socket.close();
      resolve({ ...reply, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done({ rcode: -1, answers: [], ttl: null }), timeoutMs);
    socket.on('message', (message) => {
      const packet = dnsPacket.decode(message);
      if (packet.id !== id) return;
      const answers = (packet.answers ?? []).map((record) => `${record.type} ${'data' in record ? String(record.data) : ''}`);
      const first = packet.answers?.[0] as { ttl?: number } | undefined;
      done({ rcode: (packet.flags ?? 0) & 0xf, answers, ttl: first?.ttl ?? null });
    });
    socket.bind(0, from, () => socket.send(query, port, '127.0.0.1'));
  });
}

/** Polls `check` every 20 ms until true, or fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}
