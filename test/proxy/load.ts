// A bounded local load through the proxy (not a test: run by hand, prints req/s and latency).
//   node --import tsx test/proxy/load.ts [seconds=5] [concurrency list=16,64]
// The proxy runs in a child process pinned to CPU 0 (taskset, when present); the origin (a
// minimal keep-alive responder with a 958-byte page, its own process) and the client on CPU 1.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const self = fileURLToPath(import.meta.url);

async function serveProxy(): Promise<void> {
  const { startProxy } = await import('../../src/proxy/index.ts');
  const { fakeDecide } = await import('./fixtures.ts');
  let events = 0;
  const proxy = await startProxy({
    host: '127.0.0.1',
    port: 0,
    allowedClients: ['127.0.0.0/8'],
    identify: () => ({ id: 'load.pupil', role: 'pupil' }),
    decide: fakeDecide,
    sink: () => void events++,
    blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: () => true },
    resolve: async () => ['127.0.0.1'],
  });
  process.stdout.write(`${proxy.address.port}\n`);
  // CPU time used so far, so that the runner can report CPU per request (robust on a busy machine)
  process.on('SIGUSR2', () => {
    const u = process.cpuUsage();
    process.stdout.write(`${u.user + u.system}\n`);
  });
  process.on('SIGTERM', () => void proxy.close(0).then(() => process.exit(0)));
}

function serveOrigin(): void {
  const body = 'x'.repeat(958);
  const response = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const server = createServer((s) => {
    s.setNoDelay(true);
    let pending = '';
    s.on('data', (d) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(i + 4);
        s.write(response);
      }
    });
    s.on('error', () => s.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

function child(mode: string, cpu: string, pin: boolean, extra: string[] = []): { port: Promise<number>; kill: () => void; cpu: () => Promise<number> } {
  const args = [...extra, '--import', 'tsx', self, mode];
  const proc = pin ? spawn('taskset', ['-c', cpu, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  // with taskset the child is taskset's exec'd node: same pid
  const read = (): Promise<number> => new Promise((resolve) => proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return {
    port: read(),
    kill: () => proc.kill('SIGTERM'),
    cpu: () => {
      const value = read();
      proc.kill('SIGUSR2');
      return value;
    },
  };
}

function run(port: number, target: string, concurrency: number, seconds: number, expect = 'HTTP/1.1 200'): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: origin.test\r\nUser-Agent: load\r\nAccept: */*\r\n\r\n`);
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const sockets: Socket[] = [];
  for (let c = 0; c < concurrency; c++) {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let started = 0n;
    const send = (): void => {
      if (stop) return;
      started = process.hrtime.bigint();
      s.write(request);
    };
    s.on('connect', send);
    s.on('error', () => errors++);
    s.on('data', (d: Buffer) => {
      buffer = buffer.length === 0 ? d : Buffer.concat([buffer, d]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (!head.startsWith(expect)) errors++;
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.subarray(end + 4 + length);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        send();
      }
    });
  }
  return new Promise((resolve) =>
    setTimeout(() => {
      stop = true;
      for (const s of sockets) s.destroy();
      latencies.sort((a, b) => a - b);
      const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
      resolve({ rps: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99), errors });
    }, seconds * 1000),
  );
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const levels = (process.argv[3] ?? '16,64').split(',').map(Number);
  const pin = spawnSync('taskset', ['-V']).status === 0;
  if (pin) spawnSync('taskset', ['-pc', '1', String(process.pid)]);
  const origin = child('--origin', '1', pin);
  const proxy = child('--serve', '0', pin, process.env.PROXY_NODE_ARGS ? process.env.PROXY_NODE_ARGS.split(' ') : []);
  const originPort = await origin.port;
  const proxyPort = await proxy.port;
  const target = `http://origin.test:${originPort}/small.html`;
  await run(proxyPort, target, 16, 1); // warm-up
  const measure = async (label: string, url: string, c: number): Promise<void> => {
    const before = await proxy.cpu();
    const r = await run(proxyPort, url, c, seconds, url.includes('blocked') ? 'HTTP/1.1 403' : 'HTTP/1.1 200');
    const cpuUs = (await proxy.cpu()) - before;
    const perRequest = cpuUs / (r.rps * seconds);
    console.log(
      `${label} c=${c}: ${r.rps} req/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, errors ${r.errors}; ` +
        `proxy CPU ${perRequest.toFixed(1)} us/request (one core: ~${Math.round(1e6 / perRequest)} req/s)${pin ? '' : ' (not pinned)'}`,
    );
  };
  for (const c of levels) await measure('allowed', target, c);
  await measure('blocked', 'http://blocked.example/some/page.html', 16);
  proxy.kill();
  origin.kill();
  process.exit(0);
}

if (process.argv.includes('--serve')) void serveProxy();
else if (process.argv.includes('--origin')) serveOrigin();
else void main();
