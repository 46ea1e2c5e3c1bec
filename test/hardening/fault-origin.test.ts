// Issue 8, section 3: the origin resets the connection mid-body. The client gets a clean failure
// (the connection closed short of the declared length, or a chunked body without its last chunk;
// a 502 page when nothing was sent yet), never a hang; the proxy keeps serving and logs the event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type net from 'node:net';
import { startStack } from './support/fault-stack.ts';

const ROUNDS = 10;
/** generous: a close or an answer, not a speed */
const NO_HANG_MS = 10_000;

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** Sends the head and part of the body, then resets the connection (TCP RST). */
function resetAfter(write: (response: http.ServerResponse) => void): Handler {
  return (_request, response) => {
    write(response);
    // let the bytes leave before the reset
    setTimeout(() => (response.socket as net.Socket | null)?.resetAndDestroy(), 20);
  };
}

const scenarios: Array<{ name: string; handler: Handler; check: (reply: { status: number; body: string; ended: string }) => void }> = [
  {
    name: 'a declared length, reset half-way',
    handler: resetAfter((response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2000' });
      response.write('x'.repeat(1000));
    }),
    check: (reply) => {
      assert.equal(reply.status, 200);
      assert.notEqual(reply.ended, 'end', 'the body is not passed off as complete');
      assert.ok(reply.body.length < 2000);
    },
  },
  {
    name: 'a chunked body, reset after some chunks',
    handler: resetAfter((response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first chunk ');
      response.write('second chunk');
    }),
    check: (reply) => {
      assert.equal(reply.status, 200);
      assert.notEqual(reply.ended, 'end', 'a chunked body without its last chunk is cut, not ended');
    },
  },
  {
    name: 'a large body (1 MiB declared), reset after 256 KiB',
    handler: resetAfter((response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) });
      response.write(Buffer.alloc(256 << 10, 0x61));
    }),
    check: (reply) => {
      assert.equal(reply.status, 200);
      assert.notEqual(reply.ended, 'end');
      assert.ok(reply.body.length < 1 << 20);
    },
  },
  {
    name: 'a reset before any byte of the answer',
    handler: (request) => request.socket.resetAndDestroy(),
    check: (reply) => {
      assert.equal(reply.status, 502, `ended ${reply.ended}`);
      assert.equal(reply.ended, 'end', 'the error page is whole');
    },
  },
];

test('an origin that resets mid-body gives the client a clean failure, never a hang; the proxy keeps serving and logs every request', { timeout: 60_000 }, async (t) => {
  const stack = await startStack();
  try {
    let faults = 0;
    let sent = 0;
    let slowest = 0;
    for (const [index, scenario] of scenarios.entries()) {
      stack.origin.handle = scenario.handler;
      const replies = await Promise.all(Array.from({ length: ROUNDS }, (_, n) => stack.get(stack.originUrl(`reset${index}`, `/n${n}`), { timeoutMs: NO_HANG_MS })));
      faults += ROUNDS;
      sent += ROUNDS;
      for (const reply of replies) {
        assert.notEqual(reply.ended, 'hung', `${scenario.name}: no answer or close within ${NO_HANG_MS} ms`);
        scenario.check(reply);
        slowest = Math.max(slowest, reply.ms);
      }
      t.diagnostic(`${scenario.name}: ${ROUNDS} resets, the client saw ${[...new Set(replies.map((r) => `${r.status}/${r.ended}`))].join(', ')}`);
    }
    // The proxy still serves, and its counters are sane.
    stack.origin.handle = (request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`origin saw ${request.url}`);
    };
    const after = await stack.get(stack.originUrl('after', '/ok'));
    sent++;
    assert.equal(after.status, 200);
    assert.equal(after.body, 'origin saw /ok');

    await stack.running.log.flush();
    const events = stack.running.log.search({ limit: 10_000 }) as Array<{ point: string; host: string; action: string }>;
    const stored = events.filter((event) => event.point === 'proxy' && /^(reset\d|after)\.example$/.test(event.host)).length;
    t.diagnostic(`faults injected: ${faults} origin resets; slowest failure seen by a client ${slowest.toFixed(0)} ms; events sent ${sent}, stored ${stored}, lost ${sent - stored}`);
    assert.equal(stored, sent);
  } finally {
    await stack.close();
  }
});
