import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { extractSni } from '../../src/proxy/index.ts';
import { captureClientHello } from './fixtures.ts';

test('reads the server name from a real ClientHello sent by tls.connect', async () => {
  const hello = await captureClientHello('secure.example');
  assert.deepEqual(extractSni(hello), { sni: 'secure.example', complete: true });
});

test('lower-cases the server name', async () => {
  const hello = await captureClientHello('Mixed.Case.Example');
  assert.equal(extractSni(hello).sni, 'mixed.case.example');
});

test('reports no server name for a ClientHello without SNI', async () => {
  // node sends no SNI when connecting to an IP address without a servername
  const hello = await captureClientHello(null);
  const result = extractSni(hello);
  assert.equal(result.complete, true);
  assert.equal(result.sni, null);
  assert.equal(result.error, undefined);
});

test('asks for more bytes for every truncated prefix of a real ClientHello', async () => {
  const hello = await captureClientHello('secure.example');
  for (let n = 0; n < hello.length; n++) {
    const result = extractSni(hello.subarray(0, n));
    assert.equal(result.complete, false, `prefix of ${n} bytes`);
    assert.equal(result.sni, null);
  }
});

test('reassembles a ClientHello split over two TLS records', async () => {
  const hello = await captureClientHello('split.example');
  const body = hello.subarray(5);
  const cut = 40;
  const record = (part: Buffer): Buffer => Buffer.concat([Buffer.from([22, 3, 1, part.length >> 8, part.length & 255]), part]);
  const split = Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))]);
  assert.deepEqual(extractSni(split), { sni: 'split.example', complete: true });
  assert.equal(extractSni(split.subarray(0, split.length - 1)).complete, false);
});

test('says at once that plain HTTP is not TLS', () => {
  assert.deepEqual(extractSni(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { sni: null, complete: true, error: 'not tls' });
});

test('refuses a ClientHello whose lengths disagree', async () => {
  const hello = Buffer.from(await captureClientHello('secure.example'));
  // the extensions block claims one byte more than the message holds
  const tampered = Buffer.from(hello);
  const handshakeLength = tampered.readUIntBE(6, 3);
  tampered.writeUIntBE(handshakeLength, 6, 3);
  const sessionIdAt = 5 + 4 + 2 + 32;
  const cipherAt = sessionIdAt + 1 + tampered[sessionIdAt]!;
  const compressionAt = cipherAt + 2 + tampered.readUInt16BE(cipherAt);
  const extensionsAt = compressionAt + 1 + tampered[compressionAt]!;
  tampered.writeUInt16BE(tampered.readUInt16BE(extensionsAt) + 1, extensionsAt);
  const result = extractSni(tampered);
  assert.equal(result.complete, true);
  assert.equal(result.sni, null);
  assert.match(result.error ?? '', /extensions length/);
});

test('refuses a server name with characters a host name cannot have', async () => {
  const hello = Buffer.from(await captureClientHello('aaaa.example'));
  const at = hello.indexOf('aaaa.example');
  hello.write('<a>\0', at, 'latin1');
  const result = extractSni(hello);
  assert.equal(result.sni, null);
  assert.equal(result.error, 'server name is not a host name');
});

test('never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, asRecord) => {
      // half the inputs start like a TLS handshake record, so the parser gets past the first byte
      const input = asRecord ? Buffer.concat([Buffer.from([22, 3, 1, bytes.length >> 8, bytes.length & 255, 1]), bytes]) : Buffer.from(bytes);
      const result = extractSni(input);
      assert.equal(typeof result.complete, 'boolean');
    }),
    { numRuns: 3000 },
  );
});

test('never throws on a real ClientHello with random bytes changed', async () => {
  const hello = await captureClientHello('fuzz.example');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(hello.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(hello.length), (edits, cut) => {
      const copy = Buffer.from(hello);
      for (const [at, value] of edits) copy[at] = value;
      const result = extractSni(copy.subarray(0, cut));
      if (result.sni !== null) assert.match(result.sni, /^[a-z0-9_.-]+$/);
    }),
    { numRuns: 3000 },
  );
});
