// The load side of bench/mail.bench.ts, in a process of its own so the filter's process does only
// the filter's work (and its CPU time is the filter's alone): the final sink, and an SMTP client that sends at a fixed rate (open
// loop) or as fast as it can (closed loop), timing each message to the 250 and to its arrival at
// the sink on one clock.
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export interface LoadRequest {
  type: 'run';
  label: string;
  port: number;
  message: Uint8Array;
  /** messages per second for an open-loop run; 0 for as fast as the path takes them */
  rate: number;
  count: number;
  concurrency: number;
}

export interface LoadResult {
  type: 'result';
  label: string;
  sent: number;
  failed: number;
  firstError: string | null;
  /** ms from the first send to the last arrival at the sink */
  elapsedMs: number;
  /** send → the path's 250, ms, sorted */
  accept: number[];
  /** send → arrival at the sink, ms, sorted */
  delivery: number[];
}

const arrivals = new Map<string, number>();
let wake: Array<() => void> = [];

const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  maxAllowedUnauthenticatedCommands: false,
  logger: false,
  size: 100 * 1024 * 1024,
  onData(stream, _session, callback) {
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 512) head += chunk.subarray(0, 512).toString('latin1');
    });
    stream.on('end', () => {
      const id = /X-Bench-Id: (\S+)/.exec(head)?.[1];
      if (id) arrivals.set(id, performance.now());
      const woken = wake;
      wake = [];
      for (const w of woken) w();
      callback();
    });
  },
});
sink.on('error', () => undefined);

function waitArrivals(ids: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(resolve, timeoutMs);
    const check = () => {
      if (ids.every((id) => arrivals.has(id))) {
        clearTimeout(deadline);
        resolve();
      } else wake.push(check);
    };
    check();
  });
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const transport = createTransport({ pool: true, host: '127.0.0.1', port: request.port, maxConnections: request.concurrency, maxMessages: Infinity, ignoreTLS: true, socketTimeout: 120_000 });
  const body = Buffer.from(request.message);
  const sentAt = new Map<string, number>();
  const accept: number[] = [];
  let failed = 0;
  let firstError: string | null = null;
  const sendOne = async (n: number) => {
    const id = `${request.label.replace(/\W+/g, '-')}-${n}`;
    const raw = Buffer.concat([Buffer.from(`X-Bench-Id: ${id}\r\n`), body]);
    const t0 = performance.now();
    sentAt.set(id, t0);
    try {
      await transport.sendMail({ envelope: { from: 'a.teacher@taw.org.uk', to: ['colleague@telford.gov.uk'] }, raw });
      accept.push(performance.now() - t0);
    } catch (error) {
      failed += 1;
      sentAt.delete(id);
      firstError ??= (error as Error).message;
    }
  };
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  if (request.rate > 0) {
    // open loop: message n leaves at start + n / rate, whether or not earlier ones are done
    for (let n = 0; n < request.count; n++) {
      const due = start + (n * 1000) / request.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(sendOne(n));
    }
  } else {
    let next = 0;
    const lane = async () => {
      while (next < request.count) await sendOne(next++);
    };
    for (let i = 0; i < request.concurrency; i++) inFlight.push(lane());
  }
  await Promise.all(inFlight);
  const ids = [...sentAt.keys()];
  await waitArrivals(ids, 120_000);
  const delivery = ids.filter((id) => arrivals.has(id)).map((id) => arrivals.get(id)! - sentAt.get(id)!);
  const last = Math.max(...ids.map((id) => arrivals.get(id) ?? 0));
  transport.close();
  for (const id of ids) arrivals.delete(id);
  return { type: 'result', label: request.label, sent: ids.length, failed: failed + ids.length - delivery.length, firstError, elapsedMs: last - start, accept: accept.sort((a, b) => a - b), delivery: delivery.sort((a, b) => a - b) };
}

const reply = (message: unknown) => process.send!(message);

sink.listen(0, '127.0.0.1', () => {
  const address = sink.server.address();
  reply({ type: 'ready', sinkPort: typeof address === 'object' && address ? address.port : 0 });
});

process.on('message', (request: LoadRequest | { type: 'stop' }) => {
  if (request.type === 'stop') {
    sink.close(() => process.exit(0));
    return;
  }
  run(request).then(reply, (error: unknown) => reply({ type: 'error', message: String(error) }));
});
// the benchmark's end (or its failure) ends this process too
process.on('disconnect', () => process.exit(0));
