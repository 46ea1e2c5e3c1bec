// The calendar-subject check: a calendar subject must not carry personally identifiable data.
// It uses the mail filter's own personal-data detectors (identifiers, dates of birth, postcodes,
// roster names); any one of them makes the subject non-compliant, whatever its weight, because
// the rule is "no personal data", not "not too much". An approved exception (subject-exceptions.ts)
// makes a non-compliant subject acceptable.
import { createHash } from 'node:crypto';
import type { ResolvedMailPolicy } from '../policy/index.ts';
import type { CheckFinding } from './ooo-check.ts';
import { redactSpans } from './redact.ts';
import { buildSignalTable, type SignalTable } from './signal-catalogue.ts';
import { TextScanner } from './text-scanner.ts';

export interface SubjectFinding extends CheckFinding {
  /** the signal's label (`full name`) and its redacted match (`P. H.`) */
  label: string;
  match: string;
}

export interface SubjectCheckResult {
  compliant: boolean;
  findings: SubjectFinding[];
  /** the subject with each finding replaced by its redacted form */
  redacted: string;
  clauses: string[];
}

export const MAX_SUBJECT_CHARS = 1000;

/** The form a subject is recorded under: spaces collapsed, lower case, hashed. */
export function subjectHash(subject: string): string {
  const normalised = subject.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
  return createHash('sha256').update(normalised).digest('hex');
}

export class SubjectChecker {
  private readonly scanner: TextScanner;
  private readonly table: SignalTable;

  constructor(
    private readonly policy: ResolvedMailPolicy,
    names: readonly string[] = [],
  ) {
    this.table = buildSignalTable(policy);
    // Markings and word lists are not personal data; only the personal-data detectors run.
    this.scanner = new TextScanner({ markings: [], wordLists: { offensive: {}, chain: {} }, names });
  }

  check(subject: string): SubjectCheckResult {
    const text = subject.slice(0, MAX_SUBJECT_CHARS);
    const clause = this.policy.calendar.clauses[0];
    const seen = new Set<string>();
    const findings: SubjectFinding[] = [];
    const spans: Array<{ start: number; end: number; match: string }> = [];
    for (const hit of this.scanner.scan(text, { personalData: true })) {
      spans.push(hit);
      if (seen.has(`${hit.signal}\0${hit.key}`)) continue;
      seen.add(`${hit.signal}\0${hit.key}`);
      const info = this.table.get(hit.signal);
      const label = info?.label ?? hit.signal;
      findings.push({
        code: hit.signal,
        label,
        match: hit.match,
        text: `${label} ${hit.match}: calendar subjects must not carry personal data`,
        ...(clause ? { clause } : {}),
      });
    }
    return { compliant: findings.length === 0, findings, redacted: redactSpans(text, spans), clauses: this.policy.calendar.clauses };
  }
}
