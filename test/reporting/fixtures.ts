// What the reporting tests share: the reference policy, figures made for a term (as the workflow
// stores would give them), and reading a PDF back: its pages as images (pdftoppm) and its text
// (unpdf). Names of people are the reference roster's fictional ones.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import type { ReportSources } from '../../src/reporting/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function referencePolicy(): ResolvedPolicy {
  const { policy, problems } = loadPolicy(join(root, 'examples/reference/school.yaml'));
  if (!policy) throw new Error(`the reference policy does not load: ${problems.map((p) => p.message).join('; ')}`);
  return policy;
}

/** Pupils of the reference roster (fictional), as `{ name, username }`. */
export function rosterPupils(): Array<{ name: string; username: string }> {
  const lines = readFileSync(join(root, 'examples/reference/roster.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  return lines
    .map((line) => line.split(','))
    .filter((cells) => cells[2] === 'pupil')
    .map((cells) => ({ name: cells[0]!, username: cells[1]! }));
}

/**
 * Workflow figures for a term. Child-related counts mix large ones with small ones (1 to 4), so
 * a test can tell that every small one is hidden; staff and filter figures are plain.
 */
export function madeSources(): Omit<ReportSources, 'blocks'> {
  return {
    async requests() {
      return {
        total: { requested: 31, approved: 14, declined: 9, decisionDays: [1, 2, 2, 3, 4, 5, 7, 1, 2, 3, 6, 1, 2, 2, 3, 4, 9, 1, 2, 1, 3, 2, 8] },
        byCategory: {
          games: { requested: 17, approved: 9, declined: 6, decisionDays: [1, 2, 2, 3, 4, 5, 7, 1, 2, 3, 6, 1, 2, 2, 3] },
          'video-audio': { requested: 11, approved: 3, declined: 3, decisionDays: [4, 9, 1, 2, 1, 3] },
          chat: { requested: 3, approved: 2, declined: 0, decisionDays: [2, 8] },
        },
        byGroup: {
          staff: { requested: 24, approved: 11, declined: 7 },
          'year-4': { requested: 7, approved: 3, declined: 2 },
        },
      };
    },
    async incidents() {
      return {
        byType: { 'cyber-bullying': 9, 'contact-attempt': 2, conduct: 14 },
        byOutcome: { open: 3, 'closed-internal': 13, 'closed-no-referral': 9 },
      };
    },
    async compliance() {
      return {
        courses: [
          { id: 'induction', required: 23, done: 19, overdue: 3 },
          { id: 'ongoing', required: 21, done: 12, overdue: 0 },
          { id: 'at-risk-identification', required: 21, done: 21, overdue: 0 },
        ],
        acknowledgement: { version: '2020-autumn', required: 26, done: 22 },
      };
    },
    async checks() {
      return {
        runs: 321,
        passes: 317,
        failures: 4,
        byTest: [
          { id: 'pupil-social', runs: 107, passes: 107, failures: 0 },
          { id: 'pupil-education', runs: 107, passes: 107, failures: 0 },
          { id: 'legal-block', runs: 107, passes: 103, failures: 4 },
        ],
      };
    },
    async sanctions() {
      return { imposed: 2, lifted: 1, inForce: 6 };
    },
    async alerts() {
      return { byCategory: { 'self-harm': 3, adult: 12 }, byList: { bullying: 8, 'self-harm': 1 } };
    },
  };
}

export interface PageImage {
  width: number;
  height: number;
  /** share of pixels that are not near-white */
  inked: number;
}

/** The PDF's pages as greyscale images (pdftoppm), with how much of each is inked. */
export function pdfPages(pdf: Buffer, dpi = 40): PageImage[] {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-pdf-'));
  try {
    writeFileSync(join(dir, 'report.pdf'), pdf);
    const run = spawnSync('pdftoppm', ['-gray', '-r', String(dpi), join(dir, 'report.pdf'), join(dir, 'page')], { encoding: 'utf8' });
    if (run.error) throw new Error(`pdftoppm did not run (install poppler-utils: scripts/install-system-packages.sh): ${run.error.message}`);
    if (run.status !== 0) throw new Error(`pdftoppm failed: ${run.stderr}`);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.pgm'))
      .sort((a, b) => Number(/(\d+)\.pgm$/.exec(a)![1]) - Number(/(\d+)\.pgm$/.exec(b)![1]));
    return files.map((file) => readPgm(readFileSync(join(dir, file))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A binary PGM (P5, 8-bit). */
function readPgm(bytes: Buffer): PageImage {
  const tokens: string[] = [];
  let at = 0;
  while (tokens.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[at]!))) at++;
    if (bytes[at] === 0x23) {
      while (bytes[at] !== 0x0a) at++;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(bytes[at]!))) token += String.fromCharCode(bytes[at++]!);
    tokens.push(token);
  }
  at++;
  if (tokens[0] !== 'P5' || tokens[3] !== '255') throw new Error(`not an 8-bit binary PGM: ${tokens.join(' ')}`);
  const width = Number(tokens[1]);
  const height = Number(tokens[2]);
  let inked = 0;
  for (let i = at; i < at + width * height; i++) if (bytes[i]! < 200) inked++;
  return { width, height, inked: inked / (width * height) };
}

/** The text of each page (unpdf, pdf.js), lines joined with newlines. */
export async function pdfTextPages(pdf: Buffer): Promise<string[]> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  try {
    const { text } = await extractText(doc, { mergePages: false });
    return text;
  } finally {
    await doc.destroy();
  }
}

/** The document's title from its metadata. */
export async function pdfTitle(pdf: Buffer): Promise<string | null> {
  const { getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  try {
    const meta = await doc.getMetadata();
    const info = meta.info as { Title?: string };
    return info.Title ?? null;
  } finally {
    await doc.destroy();
  }
}
