// Hedgerow started for the security tests: a copy of the reference policy in a temporary folder,
// every line it prints kept, the first administrator made with the setup link it printed, and a
// small HTTP client that keeps the session cookie and the CSRF token like the dashboard does.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/index.ts';
import { startHedgerow, type RunningHedgerow, type StartOptions } from '../../../src/server/index.ts';

const reference = new URL('../../../examples/reference/', import.meta.url).pathname;

/** Tuesday 24 November 2026, 10:15 in London: lesson time. */
export const LESSON_TIME = Date.parse('2026-11-24T10:15:00Z');
export const ADMIN = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', password: 'Hazel-Coppice-Lantern-42' };

export interface SecuritySchool {
  running: RunningHedgerow;
  dir: string;
  dataDir: string;
  policyFile: string;
  /** `http://127.0.0.1:PORT` of the HTTP service */
  base: string;
  httpPort: number;
  proxyPort: number;
  /** every line Hedgerow printed through its log */
  lines: string[];
  close(): Promise<void>;
}

/** `config` is merged over a proxy, HTTP service and store on 127.0.0.1 port 0 (no DNS filter, no file watch). */
export async function startSecuritySchool(config: Record<string, unknown> = {}, options: StartOptions = {}): Promise<SecuritySchool> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-security-'));
  cpSync(reference, join(dir, 'policy'), { recursive: true });
  const dataDir = join(dir, 'data');
  const policyFile = join(dir, 'policy', 'school.yaml');
  const lines: string[] = [];
  const parsed = configSchema.parse({
    policy: policyFile,
    dataDir,
    proxy: { port: 0 },
    dns: { enabled: false },
    http: { port: 0 },
    watchPolicy: false,
    ...config,
  });
  const running = await startHedgerow(parsed, { now: () => LESSON_TIME, log: (line) => lines.push(line), ...options });
  return {
    running,
    dir,
    dataDir,
    policyFile,
    base: `http://127.0.0.1:${running.http.port}`,
    httpPort: running.http.port,
    proxyPort: running.proxy?.address.port ?? 0,
    lines,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection; `headers.host` may name another site (the DNS filter's landing). */
export function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer, localAddress?: string): Promise<Answer> {
  // node sends a DELETE body without framing unless told its length
  const framed = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: framed, agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A signed-in API client: the session cookie and the CSRF token, as the dashboard holds them. */
export class ApiClient {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(private readonly port: number) {}

  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const all: Record<string, string> = { accept: 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}) };
    if (method !== 'GET' && method !== 'HEAD' && this.csrf) all['x-csrf-token'] = this.csrf;
    let payload: string | undefined;
    if (body !== undefined) {
      all['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const answer = await request(this.port, method, path, { ...all, ...headers }, payload);
    const set = answer.headers['set-cookie']?.find((c) => c.startsWith('hedgerow_session='));
    if (set) this.cookie = set.split(';')[0]!.endsWith('=') ? null : set.split(';')[0]!;
    return answer;
  }

  async signIn(username: string, password: string): Promise<Answer> {
    const answer = await this.send('POST', '/api/session', { username, password });
    if (answer.status === 200) this.csrf = (JSON.parse(answer.body) as { csrfToken: string }).csrfToken;
    return answer;
  }
}

/** Makes the first administrator with the one-time link Hedgerow printed; returns a signed-in client. */
export async function firstAdministrator(school: SecuritySchool, account = ADMIN): Promise<ApiClient> {
  if (!school.running.setupUrl) throw new Error('Hedgerow printed no setup link');
  const token = new URL(school.running.setupUrl.replace('#/setup', 'setup')).searchParams.get('token');
  const client = new ApiClient(school.httpPort);
  const made = await client.send('POST', '/api/setup', { token, username: account.username, displayName: account.displayName, password: account.password });
  if (made.status !== 201) throw new Error(`setup: ${made.status} ${made.body}`);
  const session = await client.send('GET', '/api/session');
  client.csrf = (JSON.parse(session.body) as { csrfToken: string }).csrfToken;
  return client;
}
