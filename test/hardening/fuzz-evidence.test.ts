// Evidence uploads with the wrong type, the wrong bytes, hostile names and sizes, through the
// incidents API as the dashboard sends them (the file as the body). Each input's true nature is
// known by construction, so each answer is checked against the one it must get: stored (201), or
// refused with the right HR_ code, and then nothing stored.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { AccessMatrix } from '../../src/access/index.ts';
import type { ApiDeps } from '../../src/api/index.ts';
import { IncidentStore, incidentRoutes } from '../../src/cases/incidents/index.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { uploadHarness, type UploadHarness } from '../cases-incidents/upload-harness.ts';
import { fuzzCount, fuzzSeed, mutateBytes, Rng } from './support/fuzz-random.ts';
import { docx, zipFile, deflatedEntry } from './support/fuzz-zip.ts';

const SEED = fuzzSeed();
const LESSON = Date.parse('2026-11-24T10:15:00Z');
const referenceDir = fileURLToPath(new URL('../../examples/reference/', import.meta.url));
const loaded = loadPolicy(join(referenceDir, 'school.yaml'));
if (!loaded.policy) throw new Error('the reference policy does not load');
/** the reference policy with a small evidence limit, so oversize bodies stay small */
const LIMIT = 64 * 1024;
const policy: ResolvedPolicy = structuredClone(loaded.policy);
policy.workflows.incidents!.evidence.maxBytes = LIMIT;
const ACCEPTED: readonly string[] = policy.workflows.incidents!.evidence.types;
const PIXELS = 100_000_000;

class QuietNotifier implements Notifier {
  async notify(_input: NotificationInput): Promise<{ id: string; recipients: number }> {
    return { id: 'n', recipients: 1 };
  }
}

// ---- inputs whose nature is known ------------------------------------------------------------

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG whose header says width × height, with one tiny compressed row: small whatever it claims. */
function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width >>> 0, 0);
  header.writeUInt32BE(height >>> 0, 4);
  header[8] = 8;
  header[9] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.alloc(Math.min(width, 64) + 1))), pngChunk('IEND', Buffer.alloc(0))]);
}

function gif(width: number, height: number): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  return Buffer.concat([Buffer.from('GIF89a'), screen, Buffer.from([0x3b])]);
}

function jpeg(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), Buffer.alloc(9), sof, Buffer.from([0xff, 0xd9])]);
}

function webp(kind: 'VP8X' | 'VP8L', width: number, height: number): Buffer {
  const data = Buffer.alloc(10);
  if (kind === 'VP8X') {
    data.writeUIntLE(width - 1, 4, 3);
    data.writeUIntLE(height - 1, 7, 3);
  } else {
    data[0] = 0x2f;
    data.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 1);
  }
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  const riffSize = Buffer.alloc(4);
  riffSize.writeUInt32LE(4 + 8 + data.length);
  return Buffer.concat([Buffer.from('RIFF'), riffSize, Buffer.from('WEBP'), Buffer.from(kind), size, data]);
}

interface Sample {
  bytes: Buffer;
  /** what the bytes really are (null: none of the evidence types; undefined: not known) */
  truth: string | null | undefined;
  /** the header declares more pixels than any real image */
  bomb: boolean;
  label: string;
}

function sample(rng: Rng): Sample {
  const small = (): number => rng.range(1, 4000);
  switch (rng.int(16)) {
    case 0:
      return { bytes: png(small(), small()), truth: 'image/png', bomb: false, label: 'png' };
    case 1: {
      const [w, h] = rng.pick([[100_000, 100_000], [20_000, 20_000], [65_535, 65_535], [0x7fffffff, 1], [10_001, 10_000], [1, 0xffffffff]] as const);
      return { bytes: png(w, h), truth: 'image/png', bomb: w * h > PIXELS, label: `png ${w}×${h}` };
    }
    case 2:
      return { bytes: png(10_000, 10_000), truth: 'image/png', bomb: false, label: 'png at the pixel limit' };
    case 3:
      return rng.chance(0.5) ? { bytes: gif(small(), small()), truth: 'image/gif', bomb: false, label: 'gif' } : { bytes: gif(65_535, 65_535), truth: 'image/gif', bomb: true, label: 'gif bomb' };
    case 4:
      return rng.chance(0.5) ? { bytes: jpeg(small(), small()), truth: 'image/jpeg', bomb: false, label: 'jpeg' } : { bytes: jpeg(65_535, 40_000), truth: 'image/jpeg', bomb: true, label: 'jpeg bomb' };
    case 5: {
      const kind = rng.pick(['VP8X', 'VP8L'] as const);
      const bomb = rng.chance(0.5);
      const [w, h] = bomb ? (kind === 'VP8X' ? [16_000_000, 16_000_000] : [16_384, 16_384]) : [small(), small()];
      return { bytes: webp(kind, w, h), truth: 'image/webp', bomb, label: `webp ${kind} ${w}×${h}` };
    }
    case 6:
      // a PNG signature in front of a page: a polyglot, not an image
      return { bytes: Buffer.concat([png(1, 1).subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]), truth: null, bomb: false, label: 'png signature on html' };
    case 7:
      return { bytes: Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>'), truth: 'text/plain', bomb: false, label: 'html' };
    case 8:
      return { bytes: rng.chance(0.5) ? docx('notes') : zipFile([deflatedEntry('a.txt', Buffer.alloc(1000, 0x61))]), truth: null, bomb: false, label: 'zip' };
    case 9:
      return { bytes: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'), truth: 'application/pdf', bomb: false, label: 'pdf' };
    case 10:
      return { bytes: Buffer.from(rng.pick(['Message at 14:02: "nobody likes you"\n', 'Wiadomość: 你好 ✓\r\n', ' '])), truth: 'text/plain', bomb: false, label: 'text' };
    case 11:
      return { bytes: Buffer.from(rng.pick(['\u001b[2Jterminal trick', 'nul\u0000inside'])), truth: null, bomb: false, label: 'text with control bytes' };
    case 12:
      return { bytes: Buffer.alloc(0), truth: undefined, bomb: false, label: 'empty' };
    case 13:
      return { bytes: rng.bytes(LIMIT + rng.range(1, 5000)), truth: undefined, bomb: false, label: 'oversize' };
    case 14:
      return { bytes: rng.bytes(rng.range(1, 2000)), truth: undefined, bomb: false, label: 'random bytes' };
    default:
      return { bytes: mutateBytes(rng, rng.pick([png(640, 480), jpeg(640, 480), gif(10, 10), webp('VP8L', 64, 64)]), LIMIT + 100), truth: undefined, bomb: false, label: 'mutated image' };
  }
}

const ODD_TYPES = ['text/html', 'application/zip', 'image/svg+xml', 'application/x-msdownload', 'IMAGE/PNG; charset=x', 'image/jpg', 'Image/WebP ', 'x', 'text/plain\u0000', 'a'.repeat(150), 'image/png, text/html'];
const NAMES = ['screenshot.png', '../../etc/passwd', 'a\u0000b.png', '\u202egnp.exe', 'C:\\Users\\x\\evil.bat', `${'n'.repeat(254)}.png`, 'n'.repeat(300), '   ', 'message 1.png', '<img src=x onerror=alert(1)>.png'];

function normalise(declared: string): string {
  const base = declared.split(';')[0]!.trim().toLowerCase();
  return base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
}

/** The answer an upload must get, from what it is by construction; null when its truth is unknown. */
function expected(input: Sample, declared: string, name: string): { status: number; code?: string } | null {
  if (name.trim().length === 0 || name.trim().length > 255 || declared.trim().length < 3 || declared.trim().length > 100) return { status: 400, code: 'HR_API_INPUT' };
  if (input.bytes.length > LIMIT) return { status: 413, code: 'HR_INCIDENTS_EVIDENCE_TOO_LARGE' };
  if (!ACCEPTED.includes(normalise(declared))) return { status: 415, code: 'HR_INCIDENTS_EVIDENCE_TYPE' };
  if (input.bytes.length === 0) return { status: 400, code: 'HR_INCIDENTS_EVIDENCE_EMPTY' };
  if (input.truth === undefined) return null;
  if (input.truth !== normalise(declared)) return { status: 415, code: 'HR_INCIDENTS_EVIDENCE_MISMATCH' };
  if (input.bomb) return { status: 413, code: 'HR_INCIDENTS_EVIDENCE_DIMENSIONS' };
  return { status: 201 };
}

const EVIDENCE_CODES = new Set(['HR_API_INPUT', 'HR_INCIDENTS_EVIDENCE_TOO_LARGE', 'HR_INCIDENTS_EVIDENCE_TYPE', 'HR_INCIDENTS_EVIDENCE_EMPTY', 'HR_INCIDENTS_EVIDENCE_MISMATCH', 'HR_INCIDENTS_EVIDENCE_DIMENSIONS']);

describe('evidence uploads under hostile files', () => {
  let dir = '';
  let store: StoreDatabase;
  let people: PeopleStore;
  let incidents: IncidentStore;
  let harness: RouteHarness;
  let uploads: UploadHarness;
  let caseId = '';
  const matrix = AccessMatrix.fromPolicy(policy);
  const teacher: TestAccount = { username: 'desmond.nightingale', role: 'teacher', can: matrix.actionsOf('teacher') };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-fuzz-evidence-'));
    store = await openDatabase(`sqlite:${join(dir, 'store.db')}`);
    const migrated = await migrate(store.db);
    if (migrated.failed) throw migrated.failed.error;
    const audit = new AuditLog(store, { now: () => LESSON });
    people = PeopleStore.open(join(dir, 'people'), { clock: () => LESSON });
    const roles = Object.keys(policy.roles);
    people.importRoster(readFileSync(join(referenceDir, 'roster.csv'), 'utf8'), {
      policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
      timeZone: 'Europe/London',
      now: LESSON,
    });
    incidents = new IncidentStore({ store, audit, notifier: new QuietNotifier(), policy: () => policy, now: () => LESSON });
    const deps = { engine: () => ({ policy }), people, now: () => LESSON } as unknown as ApiDeps;
    const routes = incidentRoutes(deps, { incidents });
    harness = await routeHarness(routes);
    uploads = await uploadHarness(routes);
    const opened = await harness.json({
      method: 'POST',
      url: '/api/incidents',
      as: teacher,
      body: { type: 'cyber-bullying', platform: 'instagram', description: 'Messages calling a pupil names, sent on Sunday evening.', occurredAt: LESSON - 86_400_000, parties: [{ kind: 'pupil', username: 'florence.oakhollow', role: 'target' }] },
    });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    caseId = opened.body.case.id as string;
  });
  after(async () => {
    await harness.close();
    await uploads.close();
    incidents.close();
    people.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (): Promise<number> => Number((await store.db.selectFrom('incident_evidence' as never).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  function upload(bytes: Buffer, declared: string, name: string, asStream: boolean) {
    const url = `/api/incidents/${caseId}/evidence?name=${encodeURIComponent(name)}&type=${encodeURIComponent(declared)}`;
    // half the streams come in small pieces with no declared length, as a chunked upload would
    const payload = asStream ? Readable.from(bytes.length === 0 ? [] : Array.from({ length: Math.ceil(bytes.length / 4096) }, (_, i) => bytes.subarray(i * 4096, (i + 1) * 4096))) : bytes;
    return uploads.upload({ url, as: teacher, payload });
  }

  it('stores exactly the uploads that are what they say and within the limits, and refuses the rest with the right code, storing nothing', async (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(400);
    const outcomes = new Map<string, number>();
    let checked = 0;
    for (let i = 0; i < count; i++) {
      const input = sample(rng);
      const declared = rng.chance(0.6) && input.truth ? input.truth : rng.chance(0.5) ? rng.pick(ACCEPTED) : rng.pick(ODD_TYPES);
      const name = rng.chance(0.7) ? 'screenshot.png' : rng.pick(NAMES);
      const before = await stored();
      const answer = await upload(input.bytes, declared, name, rng.chance(0.3));
      const body = answer.json() as { error?: { code: string; message: string }; name?: string; size?: number };
      const label = `upload ${i} (${input.label}, declared ${JSON.stringify(declared.slice(0, 40))}, seed ${SEED}): ${answer.statusCode} ${JSON.stringify(body).slice(0, 200)}`;
      assert.notEqual(answer.statusCode, 500, label);
      const want = expected(input, declared, name);
      if (want) {
        checked++;
        assert.equal(answer.statusCode, want.status, label);
        if (want.code) assert.equal(body.error?.code, want.code, label);
      }
      if (answer.statusCode === 201) {
        assert.equal(await stored(), before + 1, label);
        assert.equal(body.size, input.bytes.length, label);
        assert.doesNotMatch(body.name ?? '', /[\u0000-\u001f\u007f/\\]/, `${label}: the stored name keeps path or control characters`);
      } else {
        assert.ok(EVIDENCE_CODES.has(body.error?.code ?? ''), label);
        assert.match(body.error?.message ?? '', /^[a-z`]/, `${label}: the message is not a lower-case sentence`);
        assert.equal(await stored(), before, `${label}: a refused upload was stored`);
      }
      const key = answer.statusCode === 201 ? '201' : body.error!.code;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    // every kind of answer was reached, so each check above was exercised
    for (const code of ['201', ...EVIDENCE_CODES]) assert.ok((outcomes.get(code) ?? 0) > 0, `no ${code} in ${JSON.stringify([...outcomes])}`);
    t.diagnostic(`seed ${SEED}: ${count} uploads (${checked} with a known right answer); ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
  });

  it('regression: refuses a 150-byte PNG that declares 100000 × 100000 pixels (a decompression bomb), and stores nothing', async () => {
    // Found by this suite: only the first bytes of an image were checked, so a tiny file that
    // asks whoever opens it for 10 billion pixels was stored and served.
    const bomb = png(100_000, 100_000);
    assert.ok(bomb.length < 200);
    const before = await stored();
    const answer = await upload(bomb, 'image/png', 'shot.png', false);
    assert.equal(answer.statusCode, 413);
    assert.equal(answer.json().error.code, 'HR_INCIDENTS_EVIDENCE_DIMENSIONS');
    assert.equal(await stored(), before);
  });

  it('regression: refuses HTML behind a PNG signature as not an image', async () => {
    const answer = await upload(Buffer.concat([png(1, 1).subarray(0, 8), Buffer.from('<html><script>alert(1)</script>')]), 'image/png', 'shot.png', false);
    assert.equal(answer.statusCode, 415);
    assert.equal(answer.json().error.code, 'HR_INCIDENTS_EVIDENCE_MISMATCH');
  });
});
