// HTTP/1.1 requests for a forward proxy, built from parts that are each sometimes wrong: method,
// target, version, header lines, line endings and body framing.
import { mutateBytes, type Rng } from './fuzz-random.ts';

const GOOD_METHODS = ['GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE'];
const BAD_METHODS = ['CONNECT', 'TRACE', 'PATCH', 'get', 'G\u0000T', 'GETT', 'PRI', 'M-SEARCH', 'X'.repeat(300), ''];
const BAD_VERSIONS = ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 ', 'http/1.1', 'HTTP/1.12', 'HTTP/9', 'HTTP/1.1\u0000', ''];
const GOOD_HEADERS = ['Accept: text/html', 'Accept: */*', 'Connection: close', 'Connection: keep-alive', 'User-Agent: fuzz', 'X-Utf8: \u00e9\u00e8'];
const BAD_HEADERS = [
  'Connection: keep-alive, Upgrade',
  'Upgrade: websocket',
  'Upgrade: h2c',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Proxy-Authorization: Basic !!!notbase64',
  `Proxy-Authorization: Basic ${Buffer.from('ada:pw').toString('base64')}`,
  'Proxy-Authorization: Negotiate ' + 'A'.repeat(3000),
  'Content-Length: 5',
  'Content-Length: -1',
  'Content-Length: 18446744073709551616',
  'Content-Length: 5, 6',
  'Content-Length: 0x10',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding:\tchunked',
  'Expect: 100-continue',
  'X-Forwarded-For: 192.0.2.10',
  'YouTube-Restrict: None',
  ' folded: continuation',
  'No-Colon-Here',
  ': empty-name',
  'Bad Name: value',
  `X-Long: ${'v'.repeat(8000)}`,
  `X-Longer: ${'v'.repeat(20_000)}`,
  'X-Nul: a\u0000b',
  'Host: second.example',
];

export interface HttpFuzzHosts {
  /** an origin the test runs (`allowed.example:<port>`) */
  allowed: string;
  blocked: string;
}

function target(rng: Rng, hosts: HttpFuzzHosts): string {
  const host = rng.pick([hosts.allowed, hosts.allowed, hosts.blocked, 'unknown.invalid', '127.0.0.1:1', '[::1]', '169.254.169.254', 'warned.example', 'xn--80ak6aa92e.example', 'ALLOWED.example.']);
  const path = rng.pick(['/', '/', '/', '/page', '/a/b?c=d', '/%2e%2e/%2e%2e/etc/passwd', '/?q=<script>alert(1)</script>', `/${'a'.repeat(rng.pick([10, 2000, 9000]))}`, '/#frag', '/\\..\\', '/%00', '']);
  switch (rng.int(14)) {
    case 0:
      return path === '' ? '/' : path;
    case 1:
      return host;
    case 2:
      return '*';
    case 3:
      return `https://${host}${path}`;
    case 4:
      return `http://user:pass@${host}${path}`;
    case 5:
      return `http:\\\\${host}${path}`;
    case 6:
      return rng.pick(['/proxy.pac', '/wpad.dat', '/.hedgerow/report', 'ftp://allowed.example/', 'javascript:alert(1)', 'http://', 'http:///', 'http://:80/', `http://${'a'.repeat(70)}.example/`]);
    default:
      return `http://${host}${path}`;
  }
}

function headerLines(rng: Rng, hosts: HttpFuzzHosts, faults: number): string[] {
  const lines: string[] = [];
  if (rng.chance(0.9)) lines.push(`Host: ${rng.chance(0.9) ? hosts.allowed : rng.pick([hosts.blocked, '', 'evil.example', `${hosts.allowed}, ${hosts.blocked}`])}`);
  for (let i = rng.int(3); i > 0; i--) lines.push(rng.pick(GOOD_HEADERS));
  for (let i = 0; i < faults; i++) lines.splice(rng.int(lines.length + 1), 0, rng.pick(BAD_HEADERS));
  if (rng.chance(0.03)) for (let i = 0; i < 120; i++) lines.push(`X-Many-${i}: ${i}`);
  return lines;
}

function body(rng: Rng, lines: readonly string[]): string {
  const chunked = lines.some((l) => /transfer-encoding:.*chunked/i.test(l));
  if (chunked) return rng.pick(['5\r\nhello\r\n0\r\n\r\n', 'zz\r\nhello\r\n0\r\n\r\n', 'ffffffffffffffff\r\nx\r\n', '5\r\nhel', '0\r\n\r\n', '5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n']);
  if (lines.some((l) => /content-length: 5\b/i.test(l))) return rng.pick(['hello', 'hel', 'hello world']);
  return '';
}

/**
 * One request's bytes: a well-formed request with a few wrong parts (method, target, version,
 * header lines, line endings, body framing), a third of them mutated further, a few pure noise.
 */
export function hostileRequest(rng: Rng, hosts: HttpFuzzHosts): Buffer {
  if (rng.chance(0.04)) return rng.bytes(rng.range(1, 200));
  const faults = rng.pick([0, 1, 1, 2, 3]);
  const lines = headerLines(rng, hosts, rng.chance(0.5) ? faults : 0);
  const eol = rng.chance(0.9) ? '\r\n' : rng.pick(['\n', '\r']);
  const space = rng.chance(0.95) ? ' ' : rng.pick(['  ', '\t']);
  const method = rng.chance(0.85) ? rng.pick(GOOD_METHODS) : rng.pick(BAD_METHODS);
  const version = rng.chance(0.9) ? rng.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0']) : rng.pick(BAD_VERSIONS);
  const head = `${method}${space}${target(rng, hosts)}${space}${version}${eol}${lines.join(eol)}${lines.length ? eol : ''}${eol}`;
  let bytes: Buffer = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body(rng, lines), 'latin1')]);
  if (rng.chance(0.3)) bytes = mutateBytes(rng, bytes, 64 * 1024);
  // pipelining: a second request right behind the first
  if (rng.chance(0.1)) bytes = Buffer.concat([bytes, Buffer.from(`GET http://${hosts.allowed}/second HTTP/1.1\r\nHost: ${hosts.allowed}\r\n\r\n`)]);
  return bytes.length === 0 ? Buffer.from('\r\n') : bytes;
}
