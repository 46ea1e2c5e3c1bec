// The evidence type check (9.4): what the bytes are, whatever the upload says they are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseContentType, sniffContentType, SNIFFABLE_TYPES } from '../../src/cases/incidents/index.ts';
import { incidentsSchema } from '../../src/policy/index.ts';
import { samples } from './samples.ts';

describe('evidence content sniffing', () => {
  it('recognises each accepted type from its own bytes', () => {
    assert.equal(sniffContentType(samples.png), 'image/png');
    assert.equal(sniffContentType(samples.jpeg), 'image/jpeg');
    assert.equal(sniffContentType(samples.gif), 'image/gif');
    assert.equal(sniffContentType(samples.webp), 'image/webp');
    assert.equal(sniffContentType(samples.pdf), 'application/pdf');
    assert.equal(sniffContentType(samples.text), 'text/plain');
  });

  it('takes UTF-8 text in any script as plain text', () => {
    assert.equal(sniffContentType(Buffer.from('Ni neb yn dy hoffi — 你好 — ok\r\n\tnext line', 'utf8')), 'text/plain');
  });

  it('refuses text with NUL or escape bytes, and bytes that are not UTF-8', () => {
    assert.equal(sniffContentType(Buffer.from('hello\u0000world')), null);
    assert.equal(sniffContentType(Buffer.from('\u001b[2Jcleared')), null);
    assert.equal(sniffContentType(Buffer.from([0xc3, 0x28, 0x41])), null);
  });

  it('does not take a RIFF file that is not WebP (a WAV) for an image', () => {
    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(16, 0)]);
    assert.equal(sniffContentType(wav), null);
  });

  it('says nothing for an empty file or an executable', () => {
    assert.equal(sniffContentType(new Uint8Array()), null);
    assert.equal(sniffContentType(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00])), null);
    assert.equal(sniffContentType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01])), null);
  });

  it('reads a script dressed as HTML as text, so a declared image/png of it is a mismatch', () => {
    const html = Buffer.from('<script>alert(1)</script>');
    assert.equal(sniffContentType(html), 'text/plain');
    assert.notEqual(sniffContentType(html), 'image/png');
  });

  it('normalises declared types: case, parameters and the image/jpg mislabel', () => {
    assert.equal(normaliseContentType('Image/PNG'), 'image/png');
    assert.equal(normaliseContentType('text/plain; charset=utf-8'), 'text/plain');
    assert.equal(normaliseContentType('image/jpg'), 'image/jpeg');
  });

  it('lets the policy accept exactly the types it can check', () => {
    const parsed = incidentsSchema.parse({ chain: ['safeguarding-lead'] });
    assert.deepEqual([...parsed.evidence.types].sort(), [...SNIFFABLE_TYPES].sort());
    assert.equal(incidentsSchema.safeParse({ chain: ['safeguarding-lead'], evidence: { types: ['video/mp4'] } }).success, false);
  });
});
