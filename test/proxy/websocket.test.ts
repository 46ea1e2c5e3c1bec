import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { parseResponse, rawExchange, startOrigin, startTestProxy } from './fixtures.ts';

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** a masked client text frame (RFC 6455 §5.2), payload under 126 bytes */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

function readClientFrame(frame: Buffer): string {
  const length = frame[1]! & 0x7f;
  const mask = frame.subarray(2, 6);
  return Buffer.from(frame.subarray(6, 6 + length).map((b, i) => b ^ mask[i % 4]!)).toString();
}

async function startWsOrigin() {
  const origin = await startOrigin();
  let upgradeHeaders: string[] = [];
  origin.server.on('upgrade', (req, socket: Socket) => {
    upgradeHeaders = req.rawHeaders;
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${guid}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d: Buffer) => {
      const reply = Buffer.from(`echo: ${readClientFrame(d)}`);
      socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
    });
  });
  return { origin, upgradeHeaders: () => upgradeHeaders };
}

test('carries a WebSocket upgrade through the proxy and relays frames both ways', async () => {
  const { origin, upgradeHeaders } = await startWsOrigin();
  const p = await startTestProxy();
  try {
    const key = randomBytes(16).toString('base64');
    const socket = connect(p.port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const reply = new Promise<string>((resolve) => {
      socket.on('data', (d: Buffer) => {
        data = Buffer.concat([data, d]);
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = data.subarray(0, end).toString();
        const rest = data.subarray(end + 4);
        if (rest.length === 0 && !head.includes(' 101 ')) return resolve(head);
        if (head.includes(' 101 ') && rest.length === 0) {
          socket.write(clientFrame('hello through the filter'));
          return;
        }
        if (rest.length >= 2 && rest.length >= 2 + rest[1]!) resolve(`${head}\n\n${rest.subarray(2, 2 + rest[1]!).toString()}`);
      });
    });
    socket.write(
      `GET http://ws.example:${origin.port}/chat HTTP/1.1\r\nHost: ws.example:${origin.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nProxy-Authorization: Basic eDp5\r\n\r\n`,
    );
    const text = await reply;
    socket.destroy();
    const expected = createHash('sha1').update(`${key}${guid}`).digest('base64');
    assert.match(text, /^HTTP\/1\.1 101 /);
    assert.match(text, new RegExp(`Sec-WebSocket-Accept: ${expected.replace(/[+/]/g, '\\$&')}`));
    assert.match(text, /Via: 1\.1 hedgerow/);
    assert.match(text, /\n\necho: hello through the filter$/);
    const names = upgradeHeaders().filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.ok(names.includes('upgrade') && names.includes('sec-websocket-key'));
    assert.ok(!names.includes('proxy-authorization'));
    assert.equal(p.events[0]!.url, `http://ws.example:${origin.port}/chat`);
    assert.equal(p.proxy.stats().upgrades, 1);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('refuses a WebSocket to a blocked host', async () => {
  const { origin } = await startWsOrigin();
  const p = await startTestProxy();
  try {
    const r = parseResponse(
      await rawExchange(p.port, `GET http://blocked.example:${origin.port}/chat HTTP/1.1\r\nHost: blocked.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`),
    );
    assert.equal(r.status, 403);
    assert.match(r.body, /^blocked: http:\/\/blocked\.example/);
    assert.equal(origin.requests.length, 0);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('answers other upgrades (h2c) as a plain HTTP/1.1 request without offering the upgrade upstream', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy();
  try {
    const r = parseResponse(await rawExchange(p.port, `GET http://a.example:${origin.port}/h2 HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`));
    assert.equal(r.status, 200);
    assert.match(r.body, /hello from a\.example:\d+ GET \/h2/);
    const names = origin.requests[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.ok(!names.includes('upgrade') && !names.includes('http2-settings'));
  } finally {
    await p.close();
    await origin.close();
  }
});
