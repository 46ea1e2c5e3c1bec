// TLS ClientHellos, broken one structure at a time and at random, read by the SNI peek directly
// and sent through CONNECT tunnels of a running proxy. The parser always answers (a name, none,
// or a reason) and never throws; a hello whose server name is a blocked host, or that cannot be
// read at all, never reaches the origin; the proxy keeps serving.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { extractSni, type SniResult } from '../../src/proxy/index.ts';
import { listen, startTestProxy, type TestProxy } from '../proxy/fixtures.ts';
import { fuzzCount, fuzzSeed, heapUsed, MiB, mutateBytes, Rng } from './support/fuzz-random.ts';
import { buildClientHello, NODE_CLIENT_HELLO, randomHelloShape } from './support/fuzz-tls.ts';

const SEED = fuzzSeed();
const HOST_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

function checkShape(result: SniResult, label: string): void {
  assert.equal(typeof result.complete, 'boolean', label);
  if (!result.complete) {
    assert.equal(result.sni, null, label);
    assert.equal(result.error, undefined, label);
  }
  if (result.sni !== null) {
    assert.ok(result.complete, label);
    assert.match(result.sni, HOST_NAME, label);
    assert.ok(result.sni.length <= 253, label);
    assert.equal(result.error, undefined, label);
  }
  if (result.error !== undefined) assert.equal(typeof result.error, 'string', label);
}

const realHellos: Buffer[] = [
  NODE_CLIENT_HELLO,
  buildClientHello({ names: [{ type: 0, name: Buffer.from('blocked.example') }], extensions: [{ type: 43, data: Buffer.from([4, 3, 4, 3, 3]) }] }),
  buildClientHello({ extensions: [{ type: 10, data: Buffer.from([0, 2, 0, 29]) }] }),
];

/** One fuzz input: mostly structure-aware hellos, some mutated real ones, some noise. */
function hostileHello(rng: Rng): Buffer {
  const roll = rng.int(10);
  if (roll < 5) {
    const built = buildClientHello(randomHelloShape(rng));
    return rng.chance(0.3) ? mutateBytes(rng, built, 70_000) : built;
  }
  if (roll < 8) return mutateBytes(rng, rng.pick(realHellos), 70_000);
  const noise = rng.bytes(rng.range(0, 300));
  // half start like a handshake record, so the parser gets past the first byte
  return rng.chance(0.5) ? Buffer.concat([Buffer.from([22, 3, rng.int(4), noise.length >> 8, noise.length & 0xff, 1]), noise]) : noise;
}

describe('the SNI peek under hostile ClientHellos', () => {
  it('answers every input with a name, none or a reason, never throws, and gives any prefix that decides the same answer as the whole', (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(20_000);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const input = hostileHello(rng);
      const label = `input ${i} (${input.length} bytes, seed ${SEED})`;
      const whole = extractSni(input);
      checkShape(whole, label);
      const key = whole.sni !== null ? 'name' : !whole.complete ? 'needs more' : (whole.error ?? 'no name');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // the proxy reads a hello as it arrives: a prefix that decides must decide as the whole would
      for (let k = 0; k < 3 && input.length > 1; k++) {
        const prefix = extractSni(input.subarray(0, rng.int(input.length)));
        checkShape(prefix, `${label}, prefix`);
        if (prefix.complete) assert.deepEqual(prefix, whole, `${label}: a prefix decided differently`);
      }
    }
    // the generator reaches both the names and the refusals, so the checks above are not vacuous
    assert.ok((outcomes.get('name') ?? 0) > count / 20, JSON.stringify([...outcomes]));
    assert.ok((outcomes.get('needs more') ?? 0) > 0);
    t.diagnostic(`seed ${SEED}: ${count} ClientHellos; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1]).slice(0, 12)))}`);
  });

  it('reads the name a well-formed hello carries, whatever the record split and the other extensions', () => {
    const rng = new Rng(SEED).fork().fork();
    const count = fuzzCount(3_000);
    for (let i = 0; i < count; i++) {
      const name = `${rng.pick(['www', 'a', 'x-1', 'under_score'])}.${rng.pick(['blocked', 'Allowed', 'EXAMPLE'])}.example`;
      const extensions = Array.from({ length: rng.int(4) }, () => ({ type: rng.range(1, 65535), data: rng.bytes(rng.pick([0, 2, 16, 200])) }));
      const hello = buildClientHello({ names: [{ type: 0, name: Buffer.from(name) }], extensions, recordSize: rng.pick([1, 7, 50, 16384]), sessionIdLength: rng.pick([0, 32]) });
      assert.deepEqual(extractSni(hello), { sni: name.toLowerCase(), complete: true });
    }
  });

  describe('through CONNECT tunnels of a running proxy', () => {
    let proxy: TestProxy;
    let origin: Server;
    let originPort = 0;
    const received: Buffer[] = [];
    const originSockets = new Set<Socket>();
    /** tunnels waiting to hear that the origin got their bytes, by those bytes (hex) */
    const arrivals = new Map<string, Array<() => void>>();

    before(async () => {
      origin = createServer((socket) => {
        originSockets.add(socket);
        const chunks: Buffer[] = [];
        socket.on('data', (d: Buffer) => {
          chunks.push(d);
          const key = Buffer.concat(chunks).toString('hex');
          for (const wake of arrivals.get(key) ?? []) wake();
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          originSockets.delete(socket);
          received.push(Buffer.concat(chunks));
        });
      });
      originPort = await listen(origin);
      proxy = await startTestProxy({ limits: { peekTimeoutMs: 400 } });
    });
    after(async () => {
      await proxy.close();
      for (const s of originSockets) s.destroy();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    });

    /** CONNECT, the hello in random pieces, then: closed by the proxy, or still open after a while */
    function tunnel(rng: Rng, hello: Buffer): Promise<'refused' | 'closed' | 'open'> {
      const pieces: Buffer[] = [];
      for (let at = 0; at < hello.length; ) {
        const size = rng.chance(0.7) ? hello.length : rng.range(1, 64);
        pieces.push(hello.subarray(at, at + size));
        at += size;
      }
      return new Promise((resolve) => {
        const socket = connect(proxy.port, '127.0.0.1');
        let head = '';
        let established = false;
        let settled = false;
        const done = (outcome: 'refused' | 'closed' | 'open'): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const left = (arrivals.get(key) ?? []).filter((w) => w !== wake);
          if (left.length > 0) arrivals.set(key, left);
          else arrivals.delete(key);
          socket.destroy();
          resolve(outcome);
        };
        // longer than the peek timeout: by then the proxy has closed or forwarded
        const timer = setTimeout(() => done(established ? 'open' : 'refused'), 1_500);
        const key = hello.toString('hex');
        const wake = (): void => {
          if (established) done('open');
        };
        arrivals.set(key, [...(arrivals.get(key) ?? []), wake]);
        socket.on('error', () => undefined);
        socket.on('close', () => done(established ? 'closed' : 'refused'));
        socket.on('data', (d: Buffer) => {
          if (established) return;
          head += d.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          if (!head.startsWith('HTTP/1.1 200')) return done('refused');
          established = true;
          for (const piece of pieces) socket.write(piece);
        });
        socket.write(`CONNECT allowed.example:${originPort} HTTP/1.1\r\nHost: allowed.example:${originPort}\r\n\r\n`);
      });
    }

    it('regression: a hello naming `blocked.example.` or carrying two server names is closed, not forwarded to the allowed host', async () => {
      // Found by this suite: the SNI peek refused these names as unreadable, and the tunnel then
      // went ahead without any SNI check, so a lenient server could be asked for the blocked host.
      const rng = new Rng(SEED);
      for (const hello of [
        buildClientHello({ names: [{ type: 0, name: Buffer.from('blocked.example.') }] }),
        buildClientHello({ names: [{ type: 0, name: Buffer.from('blocked.example') }], sniCopies: 2 }),
      ]) {
        const before = received.length;
        assert.equal(await tunnel(rng, hello), 'closed');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(received.length, before, 'the origin was connected');
      }
    });

    it('forwards no hello that names a blocked host or cannot be read, closes or forwards every other, and keeps serving', async (t) => {
      const rng = new Rng(SEED).fork().fork().fork();
      const count = fuzzCount(240);
      const heapBefore = heapUsed();
      const inputs: Array<{ hello: Buffer; result: SniResult }> = [];
      for (let i = 0; i < count; i++) {
        let hello = hostileHello(rng);
        if (hello.length === 0) hello = Buffer.from([22]);
        inputs.push({ hello: hello.subarray(0, 15 * 1024), result: extractSni(hello.subarray(0, 15 * 1024)) });
      }
      // hand-picked: a blocked name written the way a lenient server might still accept it
      for (const names of [['blocked.example.'], ['BLOCKED.EXAMPLE'], ['allowed.example', 'blocked.example'], ['blocked.example\0allowed.example']]) {
        const hello = buildClientHello({ names: names.map((n) => ({ type: 0, name: Buffer.from(n, 'latin1') })) });
        inputs.push({ hello, result: extractSni(hello) });
      }
      const duplicate = buildClientHello({ names: [{ type: 0, name: Buffer.from('blocked.example') }], sniCopies: 2 });
      inputs.push({ hello: duplicate, result: extractSni(duplicate) });

      const outcomes: Record<string, number> = {};
      const mustNotForward: Buffer[] = [];
      for (let i = 0; i < inputs.length; i += 30) {
        const batch = inputs.slice(i, i + 30);
        const results = await Promise.all(batch.map((input) => tunnel(rng, input.hello)));
        batch.forEach((input, k) => {
          const outcome = results[k]!;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          const named = input.result.sni;
          const unreadableTls = input.result.complete && input.result.error !== undefined && input.result.error !== 'not tls';
          if ((named !== null && /(^|\.)blocked\.example$/.test(named)) || unreadableTls || !input.result.complete) {
            mustNotForward.push(input.hello);
            assert.notEqual(outcome, 'open', `a tunnel stayed open for a hello read as ${JSON.stringify(input.result)}`);
          }
        });
      }
      // let the origin see every close, then check what reached it
      await new Promise((resolve) => setTimeout(resolve, 100));
      const reached = new Set(received.map((b) => b.toString('hex')));
      for (const hello of mustNotForward) assert.ok(!reached.has(hello.toString('hex')), `a hello that must not be forwarded reached the origin: ${JSON.stringify(extractSni(hello))}`);

      // still serving: a real hello to an allowed host gets its tunnel
      const good = await tunnel(rng, realHellos[0]!);
      assert.equal(good, 'open');
      assert.equal(proxy.proxy.stats().internalErrors, 0);
      const grown = (heapUsed() - heapBefore) / MiB;
      assert.ok(grown < 64, `heap grew ${grown.toFixed(1)} MiB`);
      t.diagnostic(`seed ${SEED}: ${inputs.length} tunnels ${JSON.stringify(outcomes)}; ${mustNotForward.length} had to be refused and none reached the origin; heap ${grown.toFixed(1)} MiB`);
    });
  });
});
