// The server name (SNI) of a TLS ClientHello, read without terminating TLS. Every length is
// checked against what is present: the input comes straight from a client and may be truncated,
// fragmented over several records, or hostile.

export interface SniResult {
  /** the host name the client asked for, lower case, or null when there is none */
  sni: string | null;
  /** false while more bytes are needed to decide */
  complete: boolean;
  /** why the bytes are not a usable ClientHello (`not tls` when the first byte is not a handshake) */
  error?: string;
}

const recordHeader = 5;
const handshakeType = 22;
const clientHelloType = 1;
const serverNameExtension = 0;
const hostNameType = 0;
/** a ClientHello this large is not a browser's; refuse rather than buffer more */
const maxHandshake = 64 * 1024;

const needMore: SniResult = Object.freeze({ sni: null, complete: false });

function fail(error: string): SniResult {
  return { sni: null, complete: true, error };
}

/**
 * Reassemble the first handshake message from consecutive handshake records (a ClientHello may
 * be split over records: RFC 8446 §5.1).
 */
function firstHandshakeMessage(data: Buffer): Buffer | SniResult {
  if (data.length === 0) return needMore;
  if (data[0] !== handshakeType) return fail('not tls');
  const fragments: Buffer[] = [];
  let gathered = 0;
  let wanted = -1;
  let offset = 0;
  for (;;) {
    if (data.length - offset < recordHeader) return needMore;
    if (data[offset] !== handshakeType) return fail('handshake interrupted by another record type');
    const major = data[offset + 1]!;
    if (major !== 3) return fail('not tls');
    const length = data.readUInt16BE(offset + 3);
    if (length === 0) return fail('empty handshake record');
    if (length > 16384 + 2048) return fail('record too long');
    const start = offset + recordHeader;
    const available = Math.min(length, data.length - start);
    fragments.push(data.subarray(start, start + available));
    gathered += available;
    if (wanted < 0 && gathered >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== clientHelloType) return fail('first handshake message is not a client hello');
      wanted = 4 + head.readUIntBE(1, 3);
      if (wanted > maxHandshake) return fail('client hello too long');
    }
    if (wanted >= 0 && gathered >= wanted) {
      const all = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, gathered);
      return all.subarray(0, wanted);
    }
    if (available < length) return needMore;
    offset = start + length;
  }
}

export function extractSni(clientHello: Buffer): SniResult {
  const message = firstHandshakeMessage(clientHello);
  if (!Buffer.isBuffer(message)) return message;
  // handshake header (4) + legacy_version (2) + random (32)
  let p = 4 + 2 + 32;
  const end = message.length;
  if (p + 1 > end) return fail('truncated client hello');
  const sessionIdLength = message[p]!;
  if (sessionIdLength > 32) return fail('session id too long');
  p += 1 + sessionIdLength;
  if (p + 2 > end) return fail('truncated client hello');
  const cipherSuitesLength = message.readUInt16BE(p);
  if (cipherSuitesLength < 2 || cipherSuitesLength % 2 !== 0) return fail('bad cipher suites');
  p += 2 + cipherSuitesLength;
  if (p + 1 > end) return fail('truncated client hello');
  const compressionLength = message[p]!;
  if (compressionLength < 1) return fail('bad compression methods');
  p += 1 + compressionLength;
  if (p > end) return fail('truncated client hello');
  // a hello without extensions is legal (old clients): no SNI
  if (p === end) return { sni: null, complete: true };
  if (p + 2 > end) return fail('truncated extensions');
  const extensionsEnd = p + 2 + message.readUInt16BE(p);
  if (extensionsEnd !== end) return fail('extensions length does not match the message');
  p += 2;
  let sni: string | null = null;
  let seen = false;
  while (p < extensionsEnd) {
    if (p + 4 > extensionsEnd) return fail('truncated extension');
    const type = message.readUInt16BE(p);
    const length = message.readUInt16BE(p + 2);
    p += 4;
    if (p + length > extensionsEnd) return fail('truncated extension');
    if (type === serverNameExtension) {
      if (seen) return fail('duplicate server name extension');
      seen = true;
      const parsed = readServerName(message.subarray(p, p + length));
      if (typeof parsed !== 'string' && parsed !== null) return parsed;
      sni = parsed;
    }
    p += length;
  }
  return { sni, complete: true };
}

function readServerName(ext: Buffer): string | null | SniResult {
  // an empty extension is what a server sends back; a client's must carry a list
  if (ext.length < 2) return fail('empty server name extension');
  const listEnd = 2 + ext.readUInt16BE(0);
  if (listEnd !== ext.length) return fail('server name list length does not match');
  let p = 2;
  while (p < listEnd) {
    if (p + 3 > listEnd) return fail('truncated server name');
    const nameType = ext[p]!;
    const length = ext.readUInt16BE(p + 1);
    p += 3;
    if (length === 0 || p + length > listEnd) return fail('truncated server name');
    if (nameType === hostNameType) {
      const name = ext.toString('latin1', p, p + length);
      // RFC 6066 §3: an ASCII host name (A-labels), no trailing dot, no IP literal
      if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(name) || name.length > 253) return fail('server name is not a host name');
      return name.toLowerCase();
    }
    p += length;
  }
  return null;
}
