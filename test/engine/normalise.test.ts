import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_INPUT_LENGTH,
  NOTE_BACKSLASH,
  NOTE_ENCODED_IP,
  NOTE_IDN,
  NOTE_PERCENT_HOST,
  NOTE_TRAILING_DOT,
  NOTE_UPPERCASE,
  NOTE_USERINFO,
  normaliseHost,
  normaliseTarget,
  normaliseTargetSlow,
  noteNames,
  type Target,
} from '../../src/engine/normalise.ts';
import { HostHashes, hashHostSuffixes } from '../../src/catalog/index.ts';

type Expected = Partial<Omit<Target, 'notes'>> & { notes?: string[] };

function check(raw: string, expected: Expected, t: Target = normaliseTarget(raw)): void {
  const { notes, ...fields } = expected;
  for (const [key, value] of Object.entries(fields)) {
    assert.equal(t[key as keyof Target], value, `${JSON.stringify(raw)}: ${key}`);
  }
  assert.deepEqual(noteNames(t.notes), notes ?? [], `${JSON.stringify(raw)}: notes`);
  if (t.error !== '') assert.equal(t.host, '', `${JSON.stringify(raw)}: no host on error`);
}

const cases: Array<[string, string, Expected]> = [
  // the common case
  ['reads a plain URL', 'http://www.example.com/path/page.html', { host: 'www.example.com', port: 80, scheme: 'http', path: '/path/page.html', query: '', fileType: 'html', ip: 0, error: '' }],
  ['reads a CONNECT authority', 'example.com:443', { host: 'example.com', port: 443, scheme: '', path: '', fileType: '', ip: 0, error: '' }],
  ['reads a bare host with no port', 'blocked.example', { host: 'blocked.example', port: 0, scheme: '', path: '' }],
  ['gives https its default port', 'https://blocked.example', { host: 'blocked.example', port: 443, scheme: 'https', path: '/' }],
  ['gives ws and wss their default ports', 'wss://chat.blocked.example/socket', { host: 'chat.blocked.example', port: 443, scheme: 'wss', path: '/socket' }],
  ['keeps an explicit port', 'ws://chat.blocked.example:8080/', { host: 'chat.blocked.example', port: 8080, scheme: 'ws' }],
  ['splits off the query and drops the fragment', 'https://blocked.example/a/b?q=1&r=2#top', { path: '/a/b', query: 'q=1&r=2' }],
  ['allows underscores in host names', 'https://_dmarc.blocked.example/', { host: '_dmarc.blocked.example' }],
  // case and trailing dots
  ['lower-cases the host and flags it', 'HTTPS://WWW.Blocked.Example/Page', { host: 'www.blocked.example', path: '/Page', scheme: 'https', notes: ['uppercase'] }],
  ['strips a trailing dot and flags it', 'http://blocked.example./', { host: 'blocked.example', notes: ['trailing-dot'] }],
  ['strips several trailing dots', 'blocked.example..', { host: 'blocked.example', notes: ['trailing-dot'] }],
  // IDN
  ['converts a Unicode host to punycode and flags it', 'http://bücher.example/', { host: 'xn--bcher-kva.example', notes: ['idn'] }],
  ['flags a punycode host as IDN', 'https://xn--bcher-kva.example/', { host: 'xn--bcher-kva.example', notes: ['idn'] }],
  ['maps full-width letters and ideographic dots to ASCII and flags them', 'http://ｂｌｏｃｋｅｄ。example/', { host: 'blocked.example', notes: ['idn'] }],
  ['refuses an invalid punycode label', 'http://xn--zz.example/', { host: '', error: 'invalid host' }],
  // userinfo tricks
  ['takes the host after userinfo and flags it', 'http://youtube.com@evil.example/', { host: 'evil.example', notes: ['userinfo'] }],
  ['takes the host after the last @', 'http://a@b@evil.example/', { host: 'evil.example', notes: ['userinfo'] }],
  ['does not take a port-looking userinfo as the port', 'http://youtube.com:443@evil.example/', { host: 'evil.example', port: 80, notes: ['userinfo'] }],
  ['flags userinfo in an authority', 'youtube.com@evil.example:443', { host: 'evil.example', port: 443, notes: ['userinfo'] }],
  ['does not mistake an @ in the path for userinfo', 'http://blocked.example/@user', { host: 'blocked.example', path: '/@user', notes: [] }],
  ['does not mistake an @ after a fragment for userinfo', 'http://evil.example#@blocked.example', { host: 'evil.example', notes: [] }],
  // IPv4 literals: all spell 192.0.2.10
  ['accepts a plain dotted-quad without a note', 'http://192.0.2.10/', { host: '192.0.2.10', ip: 4, notes: [] }],
  ['decodes a decimal IPv4 literal', 'http://3221225994/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes a hex IPv4 literal', 'http://0xC000020A/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip', 'uppercase'] }],
  ['decodes a lower-case hex IPv4 literal', 'http://0xc000020a/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes an octal IPv4 literal', 'http://0300.0000.0002.012/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes a short IPv4 literal', 'http://192.0.10/', { host: '192.0.0.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes a two-part IPv4 literal', 'http://192.10/', { host: '192.0.0.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes a mixed hex and octal IPv4 literal', 'http://0xc0.0.02.0xa/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip'] }],
  ['decodes a short loopback literal', '127.1', { host: '127.0.0.1', ip: 4, notes: ['encoded-ip'] }],
  ['decodes an encoded IPv4 literal in an authority', '3221225994:443', { host: '192.0.2.10', port: 443, ip: 4, notes: ['encoded-ip'] }],
  ['treats an IPv4 literal with trailing dots as that IP', 'http://192.0.2.10../', { host: '192.0.2.10', ip: 4, notes: ['trailing-dot'] }],
  ['refuses an IPv4 literal with a part over 255', 'http://192.0.2.256/', { host: '', error: 'invalid host' }],
  ['refuses a host whose last label is numeric but is no IPv4 literal', 'http://blocked.123/', { host: '', error: 'invalid host' }],
  ['refuses five numeric parts', 'http://1.2.3.4.5/', { host: '', error: 'invalid host' }],
  // IPv6
  ['reads a bracketed IPv6 literal with a port', 'http://[2001:db8::1]:8080/x', { host: '2001:db8::1', port: 8080, ip: 6, path: '/x' }],
  ['reads an IPv6 authority', '[2001:db8::1]:443', { host: '2001:db8::1', port: 443, ip: 6, scheme: '' }],
  ['reads a bare IPv6 address', '2001:DB8::1', { host: '2001:db8::1', port: 0, ip: 6, notes: ['uppercase'] }],
  ['compresses an IPv6 literal to its canonical form', 'http://[2001:0db8:0000:0000:0000:0000:0000:0001]/', { host: '2001:db8::1', ip: 6 }],
  ['refuses an unclosed IPv6 bracket', 'http://[2001:db8::1/', { host: '', error: 'invalid host' }],
  // ports
  ['refuses a port over 65535', 'http://blocked.example:65536/', { host: '', error: 'port out of range' }],
  ['refuses a port over 65535 in an authority', 'blocked.example:99999', { host: '', error: 'port out of range' }],
  ['refuses a port that is not a number', 'http://blocked.example:8o/', { host: '', error: 'invalid port' }],
  ['reads a port with leading zeros', 'http://blocked.example:0080/', { host: 'blocked.example', port: 80 }],
  ['reads a schemeless host with a port and a path', 'blocked.example:8080/setup.exe', { host: 'blocked.example', port: 8080, scheme: '', path: '/setup.exe', fileType: 'exe' }],
  // percent-encoded hosts
  ['decodes a percent-encoded host and flags it', 'http://%77ww.example.com/', { host: 'www.example.com', notes: ['percent-host'] }],
  ['decodes a percent-encoded bare host', '%77ww.example.com', { host: 'www.example.com', notes: ['percent-host'] }],
  ['flags a percent-encoded IPv4 literal as encoded', 'http://%31%39%32.0.2.10/', { host: '192.0.2.10', ip: 4, notes: ['encoded-ip', 'percent-host'] }],
  ['refuses a percent-encoded slash in the host', 'http://blocked.example%2Fevil.example/', { host: '', error: 'invalid host', notes: ['percent-host'] }],
  // backslashes
  ['reads backslashes after the scheme as slashes and flags them', 'http:\\\\evil.example\\path', { host: 'evil.example', path: '/path', notes: ['backslash'] }],
  ['ends the host at a backslash and flags it', 'http://evil.example\\@blocked.example/', { host: 'evil.example', path: '/@blocked.example/', notes: ['backslash'] }],
  ['ignores a backslash in the query', 'http://blocked.example/?a=\\b', { host: 'blocked.example', notes: [] }],
  ['reads a schemeless backslash as a path separator and flags it', 'evil.example\\blocked.example', { host: 'evil.example', path: '/blocked.example', notes: ['backslash'] }],
  // whitespace and controls
  ['trims spaces around the input', '  http://blocked.example/  ', { host: 'blocked.example', path: '/' }],
  ['refuses a space inside the host', 'http://blocked .example/', { host: '', error: 'invalid host' }],
  ['refuses a tab inside the host', 'http://block\ted.example/', { host: '', error: 'control character in input' }],
  ['refuses a newline inside the URL', 'http://blocked.example/\nHost: evil.example', { host: '', error: 'control character in input' }],
  ['refuses a NUL inside the host', 'blocked.example\u0000.evil.example', { host: '', error: 'control character in input' }],
  ['refuses empty input', '   ', { host: '', error: 'empty input' }],
  // host shape
  ['refuses an empty label', 'http://blocked..example/', { host: '', error: 'empty label in host' }],
  ['refuses a leading dot', '.blocked.example', { host: '', error: 'empty label in host' }],
  ['refuses a label over 63 characters', `http://${'a'.repeat(64)}.example/`, { host: '', error: 'host label too long' }],
  ['accepts a label of 63 characters', `http://${'a'.repeat(63)}.example/`, { host: `${'a'.repeat(63)}.example` }],
  ['refuses a host over 253 characters', `http://${`${'a'.repeat(60)}.`.repeat(5)}example/`, { host: '', error: 'host too long' }],
  ['refuses characters not allowed in host names', 'http://blocked!.example/', { host: '', error: 'invalid character in host' }],
  ['refuses a URL with no host', 'http:///', { host: '', error: 'missing host' }],
  ['refuses a bare path', '/setup.exe', { host: '', error: 'relative url' }],
  // schemes
  ['refuses javascript: URLs', 'javascript:alert(1)', { host: '', error: 'unsupported scheme' }],
  ['refuses data: URLs', 'data:text/html,<b>hi</b>', { host: '', error: 'unsupported scheme' }],
  ['refuses file: URLs', 'file:///etc/passwd', { host: '', error: 'unsupported scheme' }],
  ['refuses ftp: URLs', 'ftp://blocked.example/', { host: '', error: 'unsupported scheme' }],
  // file types, judged by the path
  ['reads the file type case-insensitively', 'http://blocked.example/setup.EXE', { fileType: 'exe' }],
  ['reads no file type from a folder', 'http://blocked.example/a.exe/', { fileType: '' }],
  ['judges the file type by the path, not the query', 'http://blocked.example/x.php?f=a.exe', { fileType: 'php', query: 'f=a.exe' }],
  ['decodes the path before reading the file type', 'http://blocked.example/setup%2Eexe', { fileType: 'exe', path: '/setup%2Eexe' }],
  ['ignores path parameters when reading the file type', 'http://blocked.example/setup.exe;jsessionid=1', { fileType: 'exe' }],
  ['reads the last extension of a double extension', 'http://blocked.example/report.pdf.exe', { fileType: 'exe' }],
  ['reads no file type from a dot file', 'http://blocked.example/.htaccess', { fileType: '' }],
  ['reads no file type from a name ending in a dot', 'http://blocked.example/setup.', { fileType: '' }],
  ['resolves dot segments before reading the path', 'http://blocked.example/a/../b/setup.msi', { path: '/b/setup.msi', fileType: 'msi' }],
  ['resolves encoded dot segments', 'http://blocked.example/a/%2e%2e/setup.msi', { path: '/setup.msi', fileType: 'msi' }],
  ['reads no file type without a path', 'http://blocked.example', { path: '/', fileType: '' }],
];

for (const [name, raw, expected] of cases) {
  test(name, () => check(raw, expected));
}

test('refuses input over the length cap before parsing it', () => {
  const long = `http://blocked.example/${'a'.repeat(MAX_INPUT_LENGTH)}`;
  check(long, { host: '', error: 'input too long' });
  check(long, { host: '', error: 'input too long' }, normaliseHost(long));
});

test('normaliseHost refuses a backslash in a host', () => {
  const raw = 'evil.example\\blocked.example';
  check(raw, { host: '', error: 'invalid character in host', notes: ['backslash'] }, normaliseHost(raw));
});

test('normaliseHost refuses a URL', () => {
  check('http://blocked.example/', { host: '', error: 'invalid character in host' }, normaliseHost('http://blocked.example/'));
});

test('normaliseHost reads a host and port like normaliseTarget', () => {
  for (const raw of ['blocked.example:443', 'BLOCKED.example.', '3221225994', '[2001:db8::1]:443', 'bücher.example']) {
    assert.deepEqual(normaliseHost(raw), normaliseTarget(raw), raw);
  }
});

test('names every note in bit order', () => {
  const all = NOTE_USERINFO | NOTE_ENCODED_IP | NOTE_IDN | NOTE_PERCENT_HOST | NOTE_TRAILING_DOT | NOTE_BACKSLASH | NOTE_UPPERCASE;
  assert.deepEqual(noteNames(all), ['userinfo', 'encoded-ip', 'idn', 'percent-host', 'trailing-dot', 'backslash', 'uppercase']);
  assert.deepEqual(noteNames(0), []);
});

test('answers non-string input with an error instead of throwing', () => {
  assert.equal(normaliseTarget(undefined as unknown as string).error, 'not a string');
  assert.equal(normaliseHost(42 as unknown as string).error, 'not a string');
});

// ---------------------------------------------------------------------------------------------
// Properties

const urlish = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webUrl({ authoritySettings: { withIPv4: true, withIPv4Extended: true, withIPv6: true, withPort: true, withUserInfo: true } }),
  fc.string({ unit: 'binary' }),
  fc.string(),
  fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP:\\\\', 'ws://', '', 'javascript:'), fc.string({ unit: 'binary' })).map(([a, b]) => a + b),
  fc.tuple(fc.domain(), fc.string({ unit: fc.constantFrom('@', '%', '.', ':', '\\', '/', '[', ']', '0', 'x', 'A', 'ü', '\t', ' ') })).map(([d, junk]) => `http://${junk}${d}${junk}/`),
);

function wellFormed(t: Target): void {
  assert.equal(typeof t.error, 'string');
  if (t.error !== '') {
    assert.equal(t.host, '');
    return;
  }
  assert.notEqual(t.host, '');
  assert.ok(!t.host.endsWith('.'));
  assert.ok(t.port >= 0 && t.port <= 65535 && Number.isInteger(t.port));
  assert.ok(t.host === t.host.toLowerCase());
  assert.match(t.host, t.ip === 6 ? /^[0-9a-f:.]+$/ : /^[a-z0-9._-]+$/);
  assert.match(t.fileType, /^[a-z0-9]*$/);
}

test('never throws and always returns a well-formed target on arbitrary input', () => {
  fc.assert(
    fc.property(urlish, (raw) => {
      wellFormed(normaliseTarget(raw));
      wellFormed(normaliseHost(raw));
    }),
    { numRuns: 3000 },
  );
});

test('is idempotent: normalising http://<normalised host>/ gives the same host', () => {
  fc.assert(
    fc.property(urlish, (raw) => {
      const first = normaliseTarget(raw);
      if (first.error !== '') return;
      const again = normaliseTarget(first.ip === 6 ? `http://[${first.host}]/` : `http://${first.host}/`);
      assert.equal(again.error, '');
      assert.equal(again.host, first.host);
      assert.equal(again.ip, first.ip);
    }),
    { numRuns: 3000 },
  );
});

test('agrees with the WHATWG URL parser on the host of any domain', () => {
  fc.assert(
    fc.property(fc.domain(), fc.constantFrom('http', 'https', 'ws', 'wss'), (domain, scheme) => {
      const t = normaliseTarget(`${scheme}://${domain}/`);
      const whatwg = new URL(`${scheme}://${domain}/`).hostname;
      assert.equal(t.error, '');
      assert.equal(t.host, whatwg);
      assert.equal(normaliseHost(domain).host, whatwg);
    }),
    { numRuns: 3000 },
  );
});

test('the fast path and the full parser give the same target on any input', () => {
  fc.assert(
    fc.property(urlish, (raw) => {
      assert.deepEqual(normaliseTarget(raw), normaliseTargetSlow(raw));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.webUrl({ withQueryParameters: true }), fc.integer({ min: 0, max: 65535 }), (url, port) => {
      const withPort = url.replace(/^(\w+:\/\/[^/?#]+)/, `$1:${port}`);
      assert.deepEqual(normaliseTarget(withPort), normaliseTargetSlow(withPort));
    }),
    { numRuns: 2000 },
  );
});

test('the suffix hashes left by normalisation equal those of the normalised host', () => {
  const left = new HostHashes();
  const fresh = new HostHashes();
  fc.assert(
    fc.property(urlish, (raw) => {
      const t = normaliseTarget(raw, left);
      if (t.error !== '' || t.ip !== 0) return;
      hashHostSuffixes(t.host, fresh);
      assert.equal(left.count, fresh.count);
      assert.deepEqual([...left.h1.subarray(0, left.count)], [...fresh.h1.subarray(0, fresh.count)]);
      assert.deepEqual([...left.h2.subarray(0, left.count)], [...fresh.h2.subarray(0, fresh.count)]);
      assert.deepEqual([...left.starts.subarray(0, left.count)], [...fresh.starts.subarray(0, fresh.count)]);
    }),
    { numRuns: 3000 },
  );
});
