// Forwarding to the configured resolvers: UDP first, TCP when the answer comes back truncated;
// on timeout, refusal or SERVFAIL the next upstream is tried. Each upstream gets a few connected
// UDP sockets (a closed port then fails at once via ICMP instead of waiting out the timeout, and
// replies from any other address are discarded by the kernel).
import dgram from 'node:dgram';
import net from 'node:net';
import { HEADER_LENGTH, RCODE_REFUSED, RCODE_SERVFAIL, upstreamQuery } from './wire.ts';

export interface UpstreamAddress {
  host: string;
  port: number;
}

interface Pending {
  question: Buffer;
  settle: (response: Buffer | null) => void;
}

interface UdpChannel {
  socket: dgram.Socket;
  pending: Map<number, Pending>;
}

export interface ForwarderStats {
  upstreamQueries: number;
  upstreamTimeouts: number;
  upstreamErrors: number;
  tcpRetries: number;
}

const SOCKETS_PER_UPSTREAM = 4;
const MAX_TCP_RESPONSE = 65535;

export class Forwarder {
  readonly #upstreams: UpstreamAddress[];
  readonly #timeoutMs: number;
  readonly #channels: UdpChannel[][] = [];
  #next = 0;
  #closed = false;
  readonly #tcpSockets = new Set<net.Socket>();
  readonly stats: ForwarderStats = { upstreamQueries: 0, upstreamTimeouts: 0, upstreamErrors: 0, tcpRetries: 0 };

  constructor(upstreams: UpstreamAddress[], timeoutMs: number) {
    this.#upstreams = upstreams;
    this.#timeoutMs = timeoutMs;
  }

  async start(): Promise<void> {
    for (const upstream of this.#upstreams) {
      const channels: UdpChannel[] = [];
      for (let index = 0; index < SOCKETS_PER_UPSTREAM; index++) channels.push(await this.#openChannel(upstream));
      this.#channels.push(channels);
    }
  }

  #openChannel(upstream: UpstreamAddress): Promise<UdpChannel> {
    const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const channel: UdpChannel = { socket, pending: new Map() };
    socket.on('message', (message) => {
      if (message.length < HEADER_LENGTH) return;
      const pending = channel.pending.get(message.readUInt16BE(0));
      if (!pending || !sameQuestion(message, pending.question)) return;
      pending.settle(message);
    });
    socket.on('error', () => {
      // ICMP unreachable and the like: everything waiting on this socket fails over now
      this.stats.upstreamErrors++;
      for (const pending of [...channel.pending.values()]) pending.settle(null);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(upstream.port, upstream.host, () => {
        socket.off('error', reject);
        resolve(channel);
      });
    });
  }

  /** The first usable upstream response (raw bytes), or null when every upstream failed. */
  async query(question: Buffer, dnssecOk: boolean): Promise<Buffer | null> {
    let last: Buffer | null = null;
    for (let index = 0; index < this.#upstreams.length && !this.#closed; index++) {
      let response = await this.#udp(index, question, dnssecOk);
      if (response && response.readUInt16BE(2) & 0x0200) {
        this.stats.tcpRetries++;
        response = (await this.#tcp(this.#upstreams[index]!, question, dnssecOk)) ?? response;
      }
      if (!response) continue;
      const rcode = response.readUInt16BE(2) & 0xf;
      if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) {
        last = response;
        continue;
      }
      return response;
    }
    return last;
  }

  #udp(upstreamIndex: number, question: Buffer, dnssecOk: boolean): Promise<Buffer | null> {
    const channels = this.#channels[upstreamIndex]!;
    const channel = channels[this.#next++ % channels.length]!;
    let id = 0;
    for (let attempt = 0; ; attempt++) {
      id = (Math.random() * 0x10000) | 0;
      if (!channel.pending.has(id)) break;
      if (attempt > 32) return Promise.resolve(null);
    }
    this.stats.upstreamQueries++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stats.upstreamTimeouts++;
        settle(null);
      }, this.#timeoutMs);
      const settle = (response: Buffer | null): void => {
        if (channel.pending.get(id) !== pending) return;
        channel.pending.delete(id);
        clearTimeout(timer);
        resolve(response);
      };
      const pending: Pending = { question, settle };
      channel.pending.set(id, pending);
      channel.socket.send(upstreamQuery(id, question, dnssecOk), (error) => {
        if (error) {
          this.stats.upstreamErrors++;
          settle(null);
        }
      });
    });
  }

  #tcp(upstream: UpstreamAddress, question: Buffer, dnssecOk: boolean): Promise<Buffer | null> {
    const id = (Math.random() * 0x10000) | 0;
    const query = upstreamQuery(id, question, dnssecOk);
    const framed = Buffer.allocUnsafe(query.length + 2);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, 2);
    return new Promise((resolve) => {
      let received = Buffer.alloc(0);
      let done = false;
      const socket = net.connect({ host: upstream.host, port: upstream.port });
      this.#tcpSockets.add(socket);
      const finish = (response: Buffer | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#tcpSockets.delete(socket);
        socket.destroy();
        resolve(response);
      };
      const timer = setTimeout(() => {
        this.stats.upstreamTimeouts++;
        finish(null);
      }, this.#timeoutMs);
      socket.on('connect', () => socket.write(framed));
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (length > MAX_TCP_RESPONSE || received.length < length + 2) return;
        const message = received.subarray(2, length + 2);
        const good = message.length >= HEADER_LENGTH && message.readUInt16BE(0) === id && sameQuestion(message, question);
        finish(good ? Buffer.from(message) : null);
      });
      socket.on('error', () => {
        this.stats.upstreamErrors++;
        finish(null);
      });
      socket.on('close', () => finish(null));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#tcpSockets) socket.destroy();
    const closing: Promise<void>[] = [];
    for (const channels of this.#channels) {
      for (const channel of channels) {
        for (const pending of [...channel.pending.values()]) pending.settle(null);
        closing.push(new Promise((resolve) => channel.socket.close(() => resolve())));
      }
    }
    await Promise.all(closing);
  }
}

/** The response echoes our question (compared without regard to ASCII case). */
function sameQuestion(message: Buffer, question: Buffer): boolean {
  if (message.length < HEADER_LENGTH + question.length || message.readUInt16BE(4) !== 1) return false;
  const nameLength = question.length - 4;
  for (let index = 0; index < question.length; index++) {
    let a = message[HEADER_LENGTH + index]!;
    // only the name is case-insensitive; type and class bytes compare exactly
    if (index < nameLength && a >= 0x41 && a <= 0x5a) a += 0x20;
    if (a !== question[index]) return false;
  }
  return true;
}
