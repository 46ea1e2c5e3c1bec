import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectTarget, parseHttpTarget, parseProxyAuthorization, requestHeaders, responseHeaders } from '../../src/proxy/index.ts';

test('drops hop-by-hop headers and those named by Connection, and replaces Host', () => {
  const raw = [
    'Host', 'wrong.example',
    'Connection', 'keep-alive, X-Secret-Hop',
    'X-Secret-Hop', '1',
    'Keep-Alive', 'timeout=5',
    'Proxy-Connection', 'keep-alive',
    'Proxy-Authorization', 'Basic eDp5',
    'TE', 'trailers',
    'Trailer', 'X-T',
    'Transfer-Encoding', 'chunked',
    'Upgrade', 'h2c',
    'Accept', 'text/html',
    'Cookie', 'a=1',
    'Cookie', 'b=2',
  ];
  const out = requestHeaders(raw, 'right.example:8080');
  assert.deepEqual(out, ['Host', 'right.example:8080', 'Accept', 'text/html', 'Cookie', 'a=1', 'Cookie', 'b=2', 'Via', '1.1 hedgerow']);
});

test('keeps the WebSocket upgrade headers only when asked', () => {
  const out = requestHeaders(['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], 'ws.example', { websocket: true });
  assert.deepEqual(out, ['Host', 'ws.example', 'Sec-WebSocket-Key', 'k', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Via', '1.1 hedgerow']);
});

test('drops hop-by-hop response headers and adds Via', () => {
  const out = responseHeaders(['Connection', 'close, X-Hop', 'X-Hop', '1', 'Proxy-Authenticate', 'Basic', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  assert.deepEqual(out, ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Via', '1.1 hedgerow']);
});

test('reads absolute-form targets the way the URL parser does', () => {
  const t = parseHttpTarget('http://User@Blocked.Example.:8080/a/b?c=d#frag');
  assert.equal(t?.host, 'blocked.example');
  assert.equal(t?.port, 8080);
  assert.equal(t?.path, '/a/b?c=d');
  assert.equal(parseHttpTarget('http://2130706433/')?.host, '127.0.0.1');
  assert.equal(parseHttpTarget('http://2130706433/')?.ipLiteral, true);
  assert.equal(parseHttpTarget('http://[::1]:81')?.host, '::1');
  assert.equal(parseHttpTarget('http://a.example?x=1')?.path, '/?x=1');
  // a backslash in the authority is read differently by different parsers
  assert.equal(parseHttpTarget('http://good.example\\@blocked.example/'), null);
  assert.equal(parseHttpTarget('/relative'), null);
});

test('reads CONNECT authorities and refuses ones without a port', () => {
  assert.deepEqual(parseConnectTarget('Secure.Example:443'), { host: 'secure.example', port: 443, ipLiteral: false });
  assert.deepEqual(parseConnectTarget('[2001:db8::1]:443'), { host: '2001:db8::1', port: 443, ipLiteral: true });
  assert.deepEqual(parseConnectTarget('0x7f.1:443'), { host: '127.0.0.1', port: 443, ipLiteral: true });
  assert.equal(parseConnectTarget('secure.example'), null);
  assert.equal(parseConnectTarget('user@secure.example:443'), null);
  assert.equal(parseConnectTarget('secure.example:0'), null);
  assert.equal(parseConnectTarget('secure.example:70000'), null);
});

test('reads Basic proxy credentials and ignores anything else', () => {
  assert.deepEqual(parseProxyAuthorization(`Basic ${Buffer.from('ada.pupil:pa:ss').toString('base64')}`), { username: 'ada.pupil', password: 'pa:ss' });
  assert.equal(parseProxyAuthorization('Bearer abc'), null);
  assert.equal(parseProxyAuthorization('Basic !!!'), null);
  assert.equal(parseProxyAuthorization(undefined), null);
});
