// ClientHellos built field by field, so that the SNI fuzzing can break one structure at a time
// (a length, a count, a name, the record split) rather than only flip random bytes.
import type { Rng } from './fuzz-random.ts';

export interface HelloShape {
  /** the server_name extension's entries; omitted: no SNI extension */
  names?: Array<{ type: number; name: Buffer }>;
  /** the SNI extension appears this many times (duplicates are illegal) */
  sniCopies?: number;
  /** other extensions, before the SNI one */
  extensions?: Array<{ type: number; data: Buffer }>;
  sessionIdLength?: number;
  cipherBytes?: number;
  compressionMethods?: number;
  /** the TLS record is cut into records of at most this many bytes of the handshake */
  recordSize?: number;
  /** values written over the real length fields (each a delta, to make lengths disagree) */
  lengthSkew?: { handshake?: number; extensions?: number; sniExtension?: number; sniList?: number };
}

/**
 * A ClientHello that node 20's `tls.connect` sent for `secure.example`, kept as bytes so that its
 * mutations are the same on every run (a fresh one has fresh random fields).
 */
export const NODE_CLIENT_HELLO: Buffer = Buffer.from(
  'FgMBAW8BAAFrAwPnOCuWC7g+aHRDml7md6XzmQ/Di42Aq5iJ1CKDhwojXyBI8lxtrN8SyOwdS6H0ERg8ggWeZ/nZOklnDgA0HvwK' +
  '1gB2EwITAxMBwC/AK8AwwCwAnsAnAGfAKABrAKMAn8ypzKjMqsCvwK3Ao8CfwF3AYcBXwFMAosCuwKzAosCewFzAYMBWwFLAJABq' +
  'wCMAQMAKwBQAOQA4wAnAEwAzADIAncChwJ3AUQCcwKDAnMBQAD0APAA1AC8A/wEAAKwAAAATABEAAA5zZWN1cmUuZXhhbXBsZQAL' +
  'AAQDAAECAAoAFgAUAB0AFwAeABkAGAEAAQEBAgEDAQQAIwAAABYAAAAXAAAADQAqACgEAwUDBgMIBwgICAkICggLCAQIBQgGBAEF' +
  'AQYBAwMDAQMCBAIFAgYCACsABQQDBAMDAC0AAgEBADMAJgAkAB0AIBso6Zkr7NV2QEd0vW0WR50MeyeNEVbvzA3RnWqy6Cg2',
  'base64',
);

const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u24 = (n: number): Buffer => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

export function buildClientHello(shape: HelloShape): Buffer {
  const skew = shape.lengthSkew ?? {};
  const sessionId = Buffer.alloc(shape.sessionIdLength ?? 32, 0x11);
  const ciphers = Buffer.alloc(shape.cipherBytes ?? 4, 0x13);
  const compression = Buffer.alloc(shape.compressionMethods ?? 1, 0);
  const extensions: Buffer[] = [];
  for (const e of shape.extensions ?? []) extensions.push(u16(e.type), u16(e.data.length), e.data);
  if (shape.names) {
    const list = Buffer.concat(shape.names.map((n) => Buffer.concat([Buffer.from([n.type]), u16(n.name.length), n.name])));
    const body = Buffer.concat([u16((list.length + (skew.sniList ?? 0)) & 0xffff), list]);
    for (let copy = 0; copy < (shape.sniCopies ?? 1); copy++) extensions.push(u16(0), u16((body.length + (skew.sniExtension ?? 0)) & 0xffff), body);
  }
  const extensionBlock = Buffer.concat(extensions);
  const hello = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32, 0x5a),
    Buffer.from([sessionId.length & 0xff]),
    sessionId,
    u16(ciphers.length),
    ciphers,
    Buffer.from([compression.length & 0xff]),
    compression,
    ...(shape.names || shape.extensions ? [u16((extensionBlock.length + (skew.extensions ?? 0)) & 0xffff), extensionBlock] : []),
  ]);
  const handshake = Buffer.concat([Buffer.from([1]), u24((hello.length + (skew.handshake ?? 0)) & 0xffffff), hello]);
  const size = Math.max(1, shape.recordSize ?? 16384);
  const records: Buffer[] = [];
  for (let at = 0; at < handshake.length; at += size) {
    const part = handshake.subarray(at, at + size);
    records.push(Buffer.from([22, 3, 1]), u16(part.length), part);
  }
  return Buffer.concat(records);
}

const NAMES = [
  'blocked.example',
  'BLOCKED.example',
  'blocked.example.',
  'www.blocked.example',
  'allowed.example',
  'a'.repeat(63) + '.example',
  'a.'.repeat(130) + 'example',
  '192.0.2.10',
  '[::1]',
  'xn--80ak6aa92e.example',
  'bücher.example',
  'blocked.example\0.allowed.example',
  'blocked.example%00',
  '',
  '.',
  'under_score.example',
  '-edge-.example',
];

/** A structure-aware random ClientHello shape. */
export function randomHelloShape(rng: Rng): HelloShape {
  const shape: HelloShape = {};
  if (rng.chance(0.9)) {
    const count = rng.pick([1, 1, 1, 2, 3]);
    shape.names = [];
    for (let i = 0; i < count; i++) {
      const text = rng.chance(0.1) ? rng.bytes(rng.range(0, 40)).toString('latin1') : rng.pick(NAMES);
      shape.names.push({ type: rng.chance(0.85) ? 0 : rng.pick([1, 2, 255]), name: Buffer.from(text, rng.chance(0.5) ? 'utf8' : 'latin1') });
    }
  }
  if (rng.chance(0.1)) shape.sniCopies = rng.pick([0, 2, 3]);
  if (rng.chance(0.5)) {
    shape.extensions = [];
    for (let i = rng.range(1, 4); i > 0; i--) shape.extensions.push({ type: rng.pick([10, 11, 13, 16, 43, 51, 0xfe0d, rng.int(65536)]), data: rng.bytes(rng.pick([0, 2, 8, 64, 300])) });
  }
  if (rng.chance(0.1)) shape.sessionIdLength = rng.pick([0, 31, 33, 255]);
  if (rng.chance(0.1)) shape.cipherBytes = rng.pick([0, 1, 3, 2, 65534]);
  if (rng.chance(0.1)) shape.compressionMethods = rng.pick([0, 2, 255]);
  if (rng.chance(0.3)) shape.recordSize = rng.pick([1, 5, 40, 100, 512]);
  if (rng.chance(0.25)) {
    const delta = (): number => rng.pick([-3, -1, 1, 2, 1000, 65536, -65536]);
    shape.lengthSkew = rng.pick([{ handshake: delta() }, { extensions: delta() }, { sniExtension: delta() }, { sniList: delta() }]);
  }
  return shape;
}
