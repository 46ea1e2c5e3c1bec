// A tiny authoritative-style resolver for tests: fixed records, counts every question it gets.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface FakeUpstream {
  port: number;
  /** questions seen, as `name type` (lower case) with how often */
  count(name: string, type?: string): number;
  total(): number;
  close(): Promise<void>;
}

type Records = Record<string, dnsPacket.Answer[]>;

export const upstreamRecords: Records = {
  'www.example.org A': [{ type: 'A', name: 'www.example.org', ttl: 300, data: '192.0.2.1' }],
  'www.example.org AAAA': [{ type: 'AAAA', name: 'www.example.org', ttl: 300, data: '2001:db8::1' }],
  'short.example.org A': [{ type: 'A', name: 'short.example.org', ttl: 5, data: '192.0.2.5' }],
  'www.google.com A': [{ type: 'A', name: 'www.google.com', ttl: 300, data: '192.0.2.40' }],
  'forcesafesearch.google.com A': [{ type: 'A', name: 'forcesafesearch.google.com', ttl: 300, data: '192.0.2.50' }],
  'forcesafesearch.google.com AAAA': [{ type: 'AAAA', name: 'forcesafesearch.google.com', ttl: 300, data: '2001:db8::50' }],
  'restrict.youtube.com A': [{ type: 'A', name: 'restrict.youtube.com', ttl: 300, data: '192.0.2.51' }],
  'restrictmoderate.youtube.com A': [{ type: 'A', name: 'restrictmoderate.youtube.com', ttl: 300, data: '192.0.2.52' }],
  'www.youtube.com A': [{ type: 'A', name: 'www.youtube.com', ttl: 300, data: '192.0.2.53' }],
  'strict.bing.com A': [{ type: 'A', name: 'strict.bing.com', ttl: 300, data: '192.0.2.54' }],
  'safe.duckduckgo.com A': [{ type: 'A', name: 'safe.duckduckgo.com', ttl: 300, data: '192.0.2.55' }],
  'use-application-dns.net A': [{ type: 'A', name: 'use-application-dns.net', ttl: 300, data: '192.0.2.60' }],
  'warn.example A': [{ type: 'A', name: 'warn.example', ttl: 300, data: '192.0.2.70' }],
  'big.example.org A': Array.from({ length: 60 }, (_, index) => ({ type: 'A' as const, name: 'big.example.org', ttl: 300, data: `198.51.100.${index + 1}` })),
};

/** Names the fake never answers (to exercise timeouts). */
const silent = new Set(['silent.example.org']);

export async function startFakeUpstream(options: { truncateOverUdp?: boolean } = {}): Promise<FakeUpstream> {
  const counts = new Map<string, number>();
  let total = 0;
  const answer = (query: Buffer, transport: 'udp' | 'tcp'): Buffer | null => {
    const packet = dnsPacket.decode(query);
    const question = packet.questions?.[0];
    if (!question) return null;
    const key = `${question.name.toLowerCase()} ${question.type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
    if (silent.has(question.name.toLowerCase())) return null;
    const records = upstreamRecords[key];
    const opt = packet.additionals?.find((record) => record.type === 'OPT');
    const response: dnsPacket.Packet = {
      type: 'response',
      id: packet.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (records || hasName(question.name) ? 0 : 3),
      questions: [question],
      answers: records ?? [],
      authorities: records
        ? []
        : [{ type: 'SOA', name: 'example.org', ttl: 120, data: { mname: 'ns.example.org', rname: 'hostmaster.example.org', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }],
      additionals: opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.Answer] : [],
    };
    let bytes = dnsPacket.encode(response);
    const limit = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : 512;
    if (transport === 'udp' && (bytes.length > limit || options.truncateOverUdp)) {
      bytes = dnsPacket.encode({ ...response, answers: [], authorities: [], flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE });
    }
    return bytes;
  };

  const sockets = new Set<net.Socket>();
  // the UDP port's TCP twin may be taken by another test's client socket: pick again
  for (let attempt = 0; ; attempt++) {
    const pair = await bindPair(answer, sockets).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || attempt > 20) throw error;
      return null;
    });
    if (pair) return fakeUpstream(pair, counts, () => total, sockets);
  }
}

async function bindPair(answer: (query: Buffer, transport: 'udp' | 'tcp') => Buffer | null, sockets: Set<net.Socket>): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (message, remote) => {
    try {
      const reply = answer(message, 'udp');
      if (reply) udp.send(reply, remote.port, remote.address);
    } catch {
      // not a query: ignore
    }
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  const port = udp.address().port;
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        const length = buffered.readUInt16BE(0);
        const message = buffered.subarray(2, length + 2);
        buffered = buffered.subarray(length + 2);
        const reply = answer(message, 'tcp');
        if (reply) socket.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    udp.close();
    throw error;
  }
  return { udp, tcp, port };
}

function fakeUpstream(pair: { udp: dgram.Socket; tcp: net.Server; port: number }, counts: Map<string, number>, total: () => number, sockets: Set<net.Socket>): FakeUpstream {
  const { udp, tcp, port } = pair;
  return {
    port,
    count: (name, type = 'A') => counts.get(`${name} ${type}`) ?? 0,
    total,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

function hasName(name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(upstreamRecords).some((key) => key.startsWith(`${lower} `));
}

/** A port with nothing listening on UDP or TCP (bound, then released). */
export async function closedPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A UDP port that receives and never answers. */
export async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
