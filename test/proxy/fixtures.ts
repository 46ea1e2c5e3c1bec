// Shared fixtures for the proxy tests: a fake engine, local origins, a resolver that maps the
// reserved test names to 127.0.0.1, and a raw HTTP client for bytes node's client would refuse.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Decision, DecisionEvent, DecisionQuery, Person } from '../../src/engine/types.ts';
import { startProxy, type ForwardProxy, type ProxyOptions } from '../../src/proxy/index.ts';

export function hostOf(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  try {
    return new URL(withScheme).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return url;
  }
}

export function decision(action: Decision['action'], host: string, extra: Partial<Decision> = {}): Decision {
  return {
    action,
    logged: true,
    kind: action === 'block' ? 'block.site' : action === 'warn' ? 'warn.site' : 'allow.default',
    rule: action === 'allow' ? 'default' : `test-${action}`,
    layer: action === 'allow' ? null : 'school',
    clauses: action === 'allow' ? [] : ['8.1'],
    categories: action === 'allow' ? [] : ['social-networking'],
    reason: action === 'block' ? 'Social networking sites are blocked for pupils.' : action === 'warn' ? 'Social media in lesson time needs a curriculum reason.' : 'allowed by default',
    circumvention: false,
    policyRevision: 'test-1',
    host,
    match: null,
    grant: null,
    supersedes: [],
    notes: [],
    ...extra,
  };
}

/** blocks `blocked.example` and its subdomains, warns on `warned.example`, allows the rest */
export function fakeDecide(query: DecisionQuery): Decision {
  const host = hostOf(query.url);
  if (host === 'blocked.example' || host.endsWith('.blocked.example')) return decision('block', host);
  if (host === 'warned.example') return decision('warn', host);
  return decision('allow', host);
}

/** `*.example` and `*.test` → 127.0.0.1; anything else fails like a missing name */
export async function testResolve(host: string): Promise<string[]> {
  if (host === 'example' || host.endsWith('.example') || host.endsWith('.test')) return ['127.0.0.1'];
  if (host === 'metadata.example.internal') return ['169.254.169.254'];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
}

export const pupil: Person = { id: 'ada.pupil', role: 'pupil', age: 10 };
export const staff: Person = { id: 'grace.teacher', role: 'staff' };

export async function listen(server: Server | import('node:net').Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export interface Origin {
  server: Server;
  port: number;
  requests: Array<{ method: string; url: string; rawHeaders: string[] }>;
  close(): Promise<void>;
}

export async function startOrigin(handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Origin> {
  const requests: Origin['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    if (handler) return handler(req, res);
    const body = `hello from ${req.headers.host} ${req.method} ${req.url}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return {
    server,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // upgraded sockets are not closed by closeAllConnections
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TestProxy {
  proxy: ForwardProxy;
  port: number;
  events: DecisionEvent[];
  close(): Promise<void>;
}

export async function startTestProxy(overrides: Partial<ProxyOptions> = {}): Promise<TestProxy> {
  const events: DecisionEvent[] = [];
  const proxy = await startProxy({
    host: '127.0.0.1',
    port: 0,
    allowedClients: ['127.0.0.0/8', '::1'],
    identify: () => pupil,
    decide: fakeDecide,
    sink: (e) => events.push(e),
    blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: (p) => p.role === 'pupil', timeZone: 'Europe/London' },
    resolve: testResolve,
    connectPorts: 'any',
    ...overrides,
  });
  return { proxy, port: proxy.address.port, events, close: () => proxy.close(0) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  rawHead: string;
  body: string;
}

/** Send raw bytes, read until the server closes or `until` matches. */
export function rawExchange(port: number, bytes: string | Buffer, options: { until?: (data: string) => boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, options.timeoutMs ?? 5000);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (options.until?.(data)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (data) resolve(data);
      else reject(e);
    });
    socket.write(bytes);
  });
}

export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const rawHead = end < 0 ? text : text.slice(0, end);
  const lines = rawHead.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers, rawHead, body: end < 0 ? '' : text.slice(end + 4) };
}

/** One request through the proxy on a fresh connection (Connection: close). */
export async function proxyGet(port: number, url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const hostHeader = hostOf(url);
  let head = `${method} ${url} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return parseResponse(await rawExchange(port, `${head}\r\n`));
}

/** A self-signed certificate for `names` (ECDSA P-256), made with the openssl CLI in a temporary folder. */
export async function selfSignedCert(names: string[]): Promise<{ key: string; cert: string }> {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first bytes a real `tls.connect` sends (its ClientHello), captured by a plain TCP listener. */
export async function captureClientHello(servername: string | null): Promise<Buffer> {
  const net = await import('node:net');
  const tls = await import('node:tls');
  const server = net.createServer();
  const port = await listen(server);
  const captured = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          resolve(all);
          s.destroy();
        }
      });
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, ...(servername === null ? {} : { servername }), rejectUnauthorized: false });
  client.on('error', () => undefined);
  const hello = await captured;
  client.destroy();
  server.close();
  return hello;
}
