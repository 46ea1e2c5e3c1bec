// A forward proxy in a process of its own, for the load tests: its memory is then the proxy's
// alone, and the clients driving it do not share its event loop. `startProxyProcess` forks this
// file; run as a child, it starts the proxy with the fixtures' engine (blocks `blocked.example`)
// and resolver (`*.example` → 127.0.0.1) and answers requests for its memory and stats over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProxyLimits, ProxyStats } from '../../../src/proxy/index.ts';

export interface ProxyMemory {
  /** after two full collections when the child runs with --expose-gc */
  heapUsed: number;
  rss: number;
  external: number;
}

export interface ProxyProcess {
  port: number;
  pid: number;
  memory(): Promise<ProxyMemory>;
  stats(): Promise<ProxyStats & { events: number }>;
  close(): Promise<void>;
}

interface Reply {
  id: number;
  memory?: ProxyMemory;
  stats?: ProxyStats & { events: number };
}

const self = fileURLToPath(import.meta.url);

export async function startProxyProcess(limits: Partial<ProxyLimits> = {}): Promise<ProxyProcess> {
  const child: ChildProcess = fork(self, ['--child', JSON.stringify(limits)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the proxy process ended before it was ready (exit ${code})`)));
    child.once('message', (m: { port: number }) => resolve(m.port));
  });
  child.removeAllListeners('exit');
  let next = 0;
  const waiting = new Map<number, (reply: Reply) => void>();
  child.on('message', (m: Reply) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const ask = (type: string): Promise<Reply> =>
    new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      child.send({ id, type });
    });
  return {
    port,
    pid: child.pid ?? 0,
    memory: async () => (await ask('memory')).memory!,
    stats: async () => (await ask('stats')).stats!,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ id: 0, type: 'close' });
        // a child that does not stop by itself is ended: the test must not hang on it
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

async function runChild(limits: Partial<ProxyLimits>): Promise<void> {
  const { startProxy } = await import('../../../src/proxy/index.ts');
  const { fakeDecide, testResolve, pupil } = await import('../../proxy/fixtures.ts');
  let events = 0;
  const proxy = await startProxy({
    host: '127.0.0.1',
    port: 0,
    allowedClients: ['127.0.0.0/8'],
    identify: () => pupil,
    decide: fakeDecide,
    sink: () => void events++,
    blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: () => true, timeZone: 'Europe/London' },
    resolve: testResolve,
    connectPorts: 'any',
    limits,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: { id: number; type: string }) => {
    if (m.type === 'memory') {
      gc?.();
      gc?.();
      const { heapUsed, rss, external } = process.memoryUsage();
      process.send!({ id: m.id, memory: { heapUsed, rss, external } });
    } else if (m.type === 'stats') {
      process.send!({ id: m.id, stats: { ...proxy.stats(), events } });
    } else if (m.type === 'close') {
      void proxy.close(0).then(() => process.exit(0));
    }
  });
  // the parent went away: do not linger
  process.on('disconnect', () => void proxy.close(0).then(() => process.exit(0)));
  process.send!({ port: proxy.address.port });
}

if (process.argv[2] === '--child') await runChild(JSON.parse(process.argv[3] ?? '{}') as Partial<ProxyLimits>);
