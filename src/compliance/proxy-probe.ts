// One filter check through the running proxy: a plain GET of an http:// address, signed in with
// a check identity, read as the proxy answered it. The proxy marks its own block, warn and
// upstream-error pages with `X-Hedgerow-Decision`; an answer without it that came through the
// proxy (`Via: … hedgerow`) is the site's own, so the filter let it through.
import { request } from 'node:http';
import type { CheckSeen } from './compliance-types.ts';

export interface ProbeAnswer {
  seen: Exclude<CheckSeen, 'not-applicable'>;
  status: number | string | null;
  latencyMs: number | null;
  rule: string | null;
  clauses: string[];
  detail: string | null;
}

const MAX_BODY = 2048;

/** `block; rule=x; clauses=8.1,3.1; ref=…` → its verdict and fields, values decoded. */
export function parseDecisionHeader(value: string): { verdict: string; fields: Record<string, string> } {
  const [head = '', ...rest] = value.split(';');
  const fields: Record<string, string> = {};
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at === -1) continue;
    const key = part.slice(0, at).trim();
    try {
      fields[key] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      fields[key] = part.slice(at + 1).trim();
    }
  }
  return { verdict: head.trim().toLowerCase(), fields };
}

function clauseList(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(',')
    .map((part) => {
      try {
        return decodeURIComponent(part.trim());
      } catch {
        return part.trim();
      }
    })
    .filter((part) => part !== '');
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 200);
}

export function probeProxy(
  proxy: { host: string; port: number },
  url: string,
  credentials: { username: string; password: string },
  timeoutMs: number,
): Promise<ProbeAnswer> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise<ProbeAnswer>((resolve) => {
    let settled = false;
    const finish = (answer: ProbeAnswer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const req = request({
      host: proxy.host,
      port: proxy.port,
      method: 'GET',
      path: target.href,
      agent: false,
      headers: {
        Host: target.host,
        // a text answer: the block text is short and says the same as the page
        Accept: 'text/plain',
        'User-Agent': 'hedgerow-filter-check',
        'Proxy-Authorization': `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        Connection: 'close',
      },
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      finish({ seen: 'error', status: null, latencyMs: null, rule: null, clauses: [], detail: `no answer from the proxy within ${timeoutMs} ms` });
    });
    req.on('error', (error) => {
      finish({ seen: 'error', status: null, latencyMs: null, rule: null, clauses: [], detail: `the proxy could not be reached: ${error.message}` });
    });
    req.on('response', (res) => {
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
        // enough read to explain an error; the rest of a site's page is not needed
        if (size >= MAX_BODY) res.destroy();
      });
      const done = () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY);
        finish(classify(status, res.headers['x-hedgerow-decision'], res.headers.via, body, latencyMs));
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end();
  });
}

function classify(status: number, decisionHeader: string | string[] | undefined, via: string | undefined, body: string, latencyMs: number): ProbeAnswer {
  const base = { status, latencyMs };
  const header = Array.isArray(decisionHeader) ? decisionHeader[0] : decisionHeader;
  if (header !== undefined) {
    const { verdict, fields } = parseDecisionHeader(header);
    const rule = fields.rule ?? null;
    const clauses = clauseList(fields.clauses);
    if (verdict === 'block') return { ...base, seen: 'blocked', rule, clauses, detail: null };
    if (verdict === 'warn') return { ...base, seen: 'warned', rule, clauses, detail: null };
    if (verdict === 'upstream-error') {
      const failure = fields.failure ?? 'other';
      if (failure === 'forbidden' || failure === 'loop') {
        return { ...base, seen: 'error', rule: null, clauses: [], detail: `the proxy never connects to this address (${failure})` };
      }
      // the filter allowed it; the site itself could not be reached (an .invalid test host never can)
      return { ...base, seen: 'allowed', rule: null, clauses: [], detail: `allowed by the filter; the site could not be reached (${failure})` };
    }
    if (verdict === 'error') return { ...base, seen: 'error', rule: null, clauses: [], detail: 'the filter could not make a decision' };
    return { ...base, seen: 'error', rule, clauses, detail: `the proxy answered with an unknown decision \`${verdict}\`` };
  }
  if (status === 407) return { ...base, seen: 'error', rule: null, clauses: [], detail: 'the proxy did not accept the check identity' };
  if (via !== undefined && /\bhedgerow\b/i.test(via)) {
    return { ...base, seen: 'allowed', rule: null, clauses: [], detail: `allowed by the filter; the site answered ${status}` };
  }
  return { ...base, seen: 'error', rule: null, clauses: [], detail: `the proxy answered ${status} without a decision${body ? `: ${firstLine(body)}` : ''}` };
}
