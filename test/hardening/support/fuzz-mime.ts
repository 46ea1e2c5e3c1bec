// Messages for the mail filter built from parts that are each sometimes broken: headers and
// encoded-words, multipart boundaries and nesting, transfer encodings, attachments of every kind
// the inspector opens, line endings and sizes.
import { mutateBytes, type Rng } from './fuzz-random.ts';
import { docx } from './fuzz-zip.ts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const LETTER = docx('Dear parent, Ada Fernleigh (date of birth 05/03/2017, UPN A123456789012) joins Year 4.');

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

function encodedWord(rng: Rng): string {
  return rng.pick([
    `=?utf-8?B?${b64('Trip to the farm 🐄')}?=`,
    '=?utf-8?Q?Caf=C3=A9_meeting?=',
    '=?utf-8?B?!!!not base64!!!?=',
    '=?x-unknown-charset?Q?hello?=',
    '=?utf-8?X?unknown-encoding?=',
    '=?utf-8?Q?=ZZ=?=',
    '=?utf-8?B?' + b64('x'.repeat(3000)) + '?=',
    Array.from({ length: 200 }, () => '=?utf-8?Q?a?=').join(' '),
    '=?utf-8*en?Q?language?=',
    '=??=',
  ]);
}

function subject(rng: Rng): string {
  return rng.pick(['Year 4 trip', encodedWord(rng), `Re: ${'Re: '.repeat(rng.pick([1, 50]))}minutes`, 'x'.repeat(rng.pick([100, 20_000])), 'Subject with\ttab', 'UPN A123456789012 for Ada Fernleigh', 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X']);
}

function boundary(rng: Rng): string {
  return rng.pick(['b1', '----=_Part_0_123', 'x'.repeat(70), 'x'.repeat(300), 'a(b)c+?*.[', ' spaced boundary ', '"', '']);
}

function textBody(rng: Rng): string {
  return rng.pick([
    'Please find the minutes attached.',
    'Ada Fernleigh, date of birth 05/03/2017, UPN A123456789012, lives at 1 High Street, AB1 2CD.',
    'Card 4111 1111 1111 1111 expires 12/29',
    '<p>Click <a href="http://login.example.net/verify">here</a> to keep your account</p>',
    'line\u0000with NUL',
    '\u00e9\u00e8 8-bit text in a 7-bit message',
    '.leading dot line\r\n..two dots\r\n.',
    'a'.repeat(rng.pick([100, 5000, 70_000])),
  ]);
}

function attachment(rng: Rng): { type: string; name: string; body: Buffer } {
  return rng.pick([
    { type: 'text/csv', name: 'pupils.csv', body: Buffer.from('name,dob,upn\nAda Fernleigh,2017-03-05,A123456789012\nBo Marsh,2016-01-02,B123456789012\n') },
    { type: 'application/pdf', name: 'report.pdf', body: Buffer.concat([Buffer.from('%PDF-1.4\n'), rng.bytes(rng.pick([10, 400]))]) },
    { type: 'application/pdf', name: 'empty.pdf', body: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R /Size 99999999 >>\n%%EOF') },
    { type: DOCX, name: 'junk.docx', body: Buffer.concat([Buffer.from('PK\u0003\u0004'), rng.bytes(200)]) },
    { type: DOCX, name: 'letter.docx', body: LETTER },
    { type: DOCX, name: 'damaged.docx', body: mutateBytes(rng, LETTER) },
    { type: 'application/zip', name: 'photos.zip', body: Buffer.concat([Buffer.from('PK\u0003\u0004'), rng.bytes(100)]) },
    { type: 'text/html', name: 'page.html', body: Buffer.from('<html><body>' + '<div>'.repeat(5000) + 'Ada Fernleigh 05/03/2017' + '</div>'.repeat(5000) + '</body></html>') },
    { type: 'message/rfc822', name: 'forwarded.eml', body: Buffer.from('From: Bo <bo@school.example>\r\nSubject: inner\r\n\r\nUPN A123456789012\r\n') },
    { type: 'message/rfc822', name: 'broken.eml', body: Buffer.from('not a message at all') },
    { type: 'text/plain; charset=utf-16le', name: 'utf16.txt', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Ada Fernleigh 05/03/2017', 'utf16le')]) },
    { type: 'application/octet-stream', name: 'noname', body: rng.bytes(300) },
  ]);
}

function encodePart(rng: Rng, body: Buffer): { header: string; text: string } {
  switch (rng.int(5)) {
    case 0:
      return { header: 'Content-Transfer-Encoding: base64', text: b64(body).replace(/.{76}/g, '$&\r\n') };
    case 1:
      // bad base64: wrong alphabet, broken padding, cut short
      return { header: 'Content-Transfer-Encoding: base64', text: rng.pick(['!!!!', b64(body).slice(0, -3), `${b64(body)}====`, '=' + b64(body), b64(body).replace(/[A-M]/g, '*')]) };
    case 2:
      return { header: 'Content-Transfer-Encoding: quoted-printable', text: body.toString('latin1').replace(/=/g, '=3D') + rng.pick(['', '=ZZ', '=\r\n', '=4']) };
    case 3:
      return { header: `Content-Transfer-Encoding: ${rng.pick(['x-uuencode', '8bit', 'binary', 'BASE64 ', ''])}`, text: body.toString('latin1') };
    default:
      return { header: '', text: body.toString('latin1') };
  }
}

function multipart(rng: Rng, depth: number): { contentType: string; body: string } {
  const b = boundary(rng);
  const parts: string[] = [];
  const count = rng.range(0, 4);
  for (let i = 0; i < count; i++) {
    if (depth > 1 && rng.chance(0.5)) {
      const inner = multipart(rng, depth - 1);
      parts.push(`Content-Type: ${inner.contentType}\r\n\r\n${inner.body}`);
    } else if (rng.chance(0.5)) {
      const a = attachment(rng);
      const enc = encodePart(rng, a.body);
      parts.push(`Content-Type: ${a.type}; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\n${enc.header ? `${enc.header}\r\n` : ''}\r\n${enc.text}`);
    } else {
      const enc = encodePart(rng, Buffer.from(textBody(rng), 'utf8'));
      parts.push(`Content-Type: text/${rng.pick(['plain', 'html'])}; charset=${rng.pick(['utf-8', 'iso-8859-1', 'x-nonsense', '"'])}\r\n${enc.header ? `${enc.header}\r\n` : ''}\r\n${enc.text}`);
    }
  }
  const closing = rng.pick([`--${b}--`, `--${b}`, '', `--${b}--trailing`, `--${b.slice(0, -1)}--`]);
  const body = `${rng.pick(['', 'This is a multi-part message.\r\n'])}${parts.map((p) => `--${b}\r\n${p}\r\n`).join('')}${closing}\r\n`;
  const quoted = rng.chance(0.5) ? `"${b}"` : b;
  return { contentType: `multipart/${rng.pick(['mixed', 'alternative', 'related', 'digest', 'report'])}${rng.chance(0.95) ? `; boundary=${quoted}` : ''}`, body };
}

/** One message's bytes as they go after DATA (not yet dot-stuffed). */
export function hostileMessage(rng: Rng): Buffer {
  const headers: string[] = [
    `From: ${rng.pick(['Ada Fernleigh <ada.fernleigh@school.example>', encodedWord(rng) + ' <ada.fernleigh@school.example>', '<>', 'no address', '"unterminated <ada@school.example>'])}`,
    `To: ${rng.pick(['parent@example.net', 'bo.marsh@school.example', 'a@b', Array.from({ length: 50 }, (_, i) => `p${i}@example.net`).join(', ')])}`,
    `Subject: ${subject(rng)}`,
    `Message-ID: <fuzz-${rng.int(1e9)}@school.example>`,
    'Date: Tue, 24 Nov 2026 10:15:00 +0000',
    'MIME-Version: 1.0',
  ];
  if (rng.chance(0.05)) headers.push(`X-Huge: ${'h'.repeat(rng.pick([5000, 20_000]))}`);
  if (rng.chance(0.05)) for (let i = 0; i < 500; i++) headers.push(`X-Many-${i}: ${i}`);
  if (rng.chance(0.05)) headers.push(rng.pick(['Folded: a\r\n b\r\n\tc', ' leading continuation', 'No colon header', 'X-Nul: a\u0000b']));
  let body: string;
  if (rng.chance(0.6)) {
    const mp = multipart(rng, rng.pick([1, 2, 3, 8, 40]));
    headers.push(`Content-Type: ${mp.contentType}`);
    body = mp.body;
  } else {
    headers.push(`Content-Type: text/plain; charset=${rng.pick(['utf-8', 'us-ascii', 'x-nope'])}`);
    const enc = encodePart(rng, Buffer.from(textBody(rng), 'utf8'));
    if (enc.header) headers.push(enc.header);
    body = enc.text;
  }
  const eol = rng.chance(0.9) ? '\r\n' : '\n';
  let text = `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
  if (eol === '\n') text = text.replace(/\r\n/g, '\n');
  let bytes: Buffer = Buffer.from(text, 'latin1');
  if (rng.chance(0.25)) bytes = mutateBytes(rng, bytes, 200_000);
  return bytes;
}

/** Dot-stuffing and the final dot, for any line ending the message uses. */
export function dataBlock(message: Buffer): Buffer {
  let text = message.toString('latin1').replace(/(^|\n)\./g, '$1..');
  // the end of data is CR LF . CR LF, whatever the message's own line endings
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(`${text}.\r\n`, 'latin1');
}
