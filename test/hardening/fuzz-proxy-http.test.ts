// Hostile HTTP request lines and headers, sent as raw bytes to a running forward proxy. Every
// input gets an HTTP answer or a close within a bound (never silence), no answer is a 500 from a
// fault of the proxy's own, a good request is still served after every hundred inputs, and the
// heap does not grow with the inputs.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseResponse, proxyGet, startOrigin, startTestProxy, type Origin, type TestProxy } from '../proxy/fixtures.ts';
import { hostileRequest } from './support/fuzz-http.ts';
import { fuzzCount, fuzzSeed, heapUsed, MiB, Rng } from './support/fuzz-random.ts';

const SEED = fuzzSeed();
/** the proxy's own timeouts are set below this, so only a hang can reach it */
const ANSWER_BOUND_MS = 8_000;

type Outcome = { kind: 'answered'; statuses: number[]; raw: string } | { kind: 'closed' } | { kind: 'silent' };

/** Sends the bytes; waits for a close, or for a pause after an answer, or for the bound. */
function exchange(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let quiet: NodeJS.Timeout | null = null;
    let settled = false;
    const done = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      if (quiet) clearTimeout(quiet);
      socket.destroy();
      if (data === '') return resolve(closed ? { kind: 'closed' } : { kind: 'silent' });
      const statuses = [...data.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ kind: 'answered', statuses, raw: data.slice(0, 300) });
    };
    const bound = setTimeout(() => done(false), ANSWER_BOUND_MS);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      // a kept-alive connection stays open after its answer: a short pause means it is complete
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => done(false), 250);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

describe('the forward proxy under hostile HTTP requests', () => {
  let origin: Origin;
  let proxy: TestProxy;
  let allowed = '';

  before(async () => {
    origin = await startOrigin();
    allowed = `allowed.example:${origin.port}`;
    proxy = await startTestProxy({
      limits: { headersTimeoutMs: 1_000, idleTimeoutMs: 1_500, upstreamConnectTimeoutMs: 1_000, upstreamResponseTimeoutMs: 1_500, peekTimeoutMs: 300, tunnelIdleTimeoutMs: 1_500 },
    });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  async function goodRequest(): Promise<void> {
    const response = await proxyGet(proxy.port, `http://${allowed}/still-serving`);
    assert.equal(response.status, 200, response.rawHead);
    assert.match(response.body, /hello from allowed\.example:\d+ GET \/still-serving/);
  }

  it('answers or closes every input within the bound, never with its own 500, and still serves good requests', async (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(1_500);
    const inputs = Array.from({ length: count }, () => hostileRequest(rng, { allowed, blocked: 'blocked.example' }));
    const statuses = new Map<number, number>();
    let closed = 0;
    let checks = 0;
    const heapBefore = heapUsed();
    let next = 0;
    // a pool of concurrent clients, well under the per-client connection cap
    const worker = async (): Promise<void> => {
      for (;;) {
        const index = next++;
        if (index >= inputs.length) return;
        const outcome = await exchange(proxy.port, inputs[index]!);
        const shown = JSON.stringify(inputs[index]!.subarray(0, 200).toString('latin1'));
        assert.notEqual(outcome.kind, 'silent', `no answer and no close within ${ANSWER_BOUND_MS} ms for input ${index}: ${shown}`);
        if (outcome.kind === 'closed') closed++;
        else if (outcome.kind === 'answered') {
          assert.ok(outcome.statuses.length > 0, `not an HTTP answer for input ${index}: ${JSON.stringify(outcome.raw)} (sent ${shown})`);
          for (const status of outcome.statuses) {
            assert.ok(status >= 100 && status <= 599, `status ${status}`);
            assert.notEqual(status, 500, `the proxy failed on input ${index}: ${shown}\n${outcome.raw}`);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }
        if (index % 100 === 99) {
          await goodRequest();
          checks++;
        }
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    await goodRequest();
    // every client has gone: the proxy must let go of every connection (none held half-open)
    const deadline = Date.now() + ANSWER_BOUND_MS;
    while (proxy.proxy.stats().activeConnections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const stats = proxy.proxy.stats();
    assert.equal(stats.activeConnections, 0, 'connections still held after every client left');
    assert.equal(stats.internalErrors, 0, 'requests hit an unexpected error in the proxy');
    const grown = (heapUsed() - heapBefore) / MiB;
    assert.ok(grown < 64, `heap grew ${grown.toFixed(1)} MiB`);
    // the inputs reach refusals, forwards and the parser's own errors, so the checks are not vacuous
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, JSON.stringify([...statuses]));
    t.diagnostic(
      `seed ${SEED}: ${count} requests; answers ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, closed without answer ${closed}; ` +
        `${checks + 1} good requests served between batches; bad requests counted ${stats.badRequests}; heap ${grown.toFixed(1)} MiB`,
    );
  });

  it('regression: refuses an h2c upgrade request that carries a body, answers one without, and lets both connections go', async () => {
    // Found by this suite: node parses no body after an upgrade, so the body was never forwarded
    // (the origin waited for it), and the socket handed over was ended but never read again, so
    // the client's close went unseen and the connection stayed open for good: one leaked
    // descriptor per request.
    for (const [framing, status] of [
      ['Content-Length: 5\r\n\r\nhello', 400],
      ['Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 400],
      ['\r\n', 200],
    ] as const) {
      const before = proxy.proxy.stats().activeConnections;
      const outcome = await exchange(proxy.port, Buffer.from(`GET http://${allowed}/ HTTP/1.1\r\nHost: ${allowed}\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n${framing}`));
      assert.equal(outcome.kind, 'answered');
      if (outcome.kind === 'answered') assert.deepEqual(outcome.statuses, [status], outcome.raw);
      const deadline = Date.now() + ANSWER_BOUND_MS;
      while (proxy.proxy.stats().activeConnections > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(proxy.proxy.stats().activeConnections, before, 'the connection is still held');
    }
  });

  it('answers a request line of only a huge target with 431 or 414 and a close, and carries on', async () => {
    const outcome = await exchange(proxy.port, Buffer.from(`GET http://${allowed}/${'a'.repeat(40_000)} HTTP/1.1\r\nHost: ${allowed}\r\n\r\n`));
    assert.equal(outcome.kind, 'answered');
    if (outcome.kind === 'answered') assert.ok([414, 431].includes(outcome.statuses[0]!), outcome.raw);
    await goodRequest();
  });

  it('answers header lines sent one byte at a time and then abandoned with 408 once the header timeout passes', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const text = `GET http://${allowed}/ HTTP/1.1\r\nHost: ${allowed}\r\nX-Slow: `;
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    for (const c of text) socket.write(c);
    const started = Date.now();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, ANSWER_BOUND_MS))]);
    socket.destroy();
    assert.equal(parseResponse(data).status, 408, JSON.stringify(data.slice(0, 200)));
    assert.ok(Date.now() - started < ANSWER_BOUND_MS);
  });
});
