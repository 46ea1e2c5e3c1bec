// Shared test fixtures: a fake engine, people, and a small DNS client.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Decision, DecisionQuery, Person } from '../../src/engine/types.ts';
import type { DnsFilterOptions, SafeSearchSettings } from '../../src/dns/index.ts';

export const pupil: Person = { id: 'ada.pupil', role: 'pupil', groups: ['year-8'] };
export const staff: Person = { id: 'bryn.teacher', role: 'staff', groups: [] };

/** Blocks `blocked.example` and below and the DoH resolver `doh.example.net`; warns on `warn.example`. */
export function fakeDecide(query: DecisionQuery): Decision {
  const host = query.url;
  const blocked = host === 'blocked.example' || host.endsWith('.blocked.example');
  const doh = host === 'doh.example.net';
  const warn = host === 'warn.example';
  const action = blocked || doh ? 'block' : warn ? 'warn' : 'allow';
  return {
    action,
    logged: true,
    kind: doh ? 'block.circumvention' : blocked ? 'block.site' : warn ? 'warn.site' : 'allow.default',
    rule: doh ? 'no-doh' : blocked ? 'test-block' : warn ? 'test-warn' : 'default',
    layer: 'school',
    clauses: doh ? ['8.2'] : blocked ? ['8.1'] : [],
    categories: doh ? ['circumvention'] : [],
    reason: warn ? 'this site needs a reason to visit' : 'test decision',
    circumvention: doh,
    policyRevision: 'rev-1',
    host,
    match: null,
    grant: null,
    supersedes: [],
    notes: [],
  };
}

export function baseOptions(upstreamPort: number, overrides: Partial<DnsFilterOptions> = {}): DnsFilterOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    upstreams: [{ host: '127.0.0.1', port: upstreamPort }],
    blockAnswer: { a: '192.0.2.10', aaaa: '2001:db8::10' },
    identify: () => pupil,
    decide: fakeDecide,
    safeSearchFor: (): SafeSearchSettings => ({ engines: 'off', youtube: 'off' }),
    dohIsCircumvention: (person) => person.role === 'pupil',
    ...overrides,
  };
}

export interface AskOptions {
  type?: dnsPacket.RecordType;
  tcp?: boolean;
  edns?: boolean | { size?: number; do?: boolean };
  id?: number;
  timeoutMs?: number;
}

/** Sends one query and decodes the answer; rejects on timeout. */
export async function ask(port: number, name: string, options: AskOptions = {}): Promise<dnsPacket.DecodedPacket & { raw: Buffer }> {
  const ednsOptions = options.edns === undefined || options.edns === false ? null : options.edns === true ? {} : options.edns;
  const query = dnsPacket.encode({
    type: 'query',
    id: options.id ?? 4321,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: options.type ?? 'A', name, class: 'IN' }],
    additionals: ednsOptions
      ? [{ type: 'OPT', name: '.', udpPayloadSize: ednsOptions.size ?? 1232, extendedRcode: 0, ednsVersion: 0, flags: ednsOptions.do ? dnsPacket.DNSSEC_OK : 0, flag_do: ednsOptions.do ?? false, options: [] } as dnsPacket.Answer]
      : [],
  });
  const raw = options.tcp ? await exchangeTcp(port, query, options.timeoutMs ?? 3000) : await exchangeUdp(port, query, options.timeoutMs ?? 3000);
  return Object.assign(dnsPacket.decode(raw), { raw });
}

export function exchangeUdp(port: number, query: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.send(query, port, '127.0.0.1');
  });
}

export function exchangeTcp(port: number, query: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('closed'));
    });
  });
}

export function rcodeOf(packet: { flags?: number | undefined }): number {
  return (packet.flags ?? 0) & 0xf;
}

/** Answer data as strings, `TYPE data` */
export function answerLines(packet: dnsPacket.DecodedPacket): string[] {
  return (packet.answers ?? []).map((record) => `${record.type} ${'data' in record ? String(record.data) : ''}`);
}
