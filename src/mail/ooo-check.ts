// The out-of-office check: the message must contain the policy's Freedom of Information
// statement. The statement is compared word by word, ignoring case, spacing, quotes and
// punctuation, so a message pasted from a word processor still passes; a missing word or a
// different address does not. HTML messages are read as their text.
import { HedgerowError } from '../errors/index.ts';
import type { ResolvedMailPolicy } from '../policy/index.ts';
import { htmlToText, looksLikeHtml } from './html-text.ts';

export interface CheckFinding {
  /** a stable code (`ooo.statement-missing`) or a signal name for subject checks */
  code: string;
  text: string;
  clause?: string;
}

export interface OutOfOfficeResult {
  compliant: boolean;
  findings: CheckFinding[];
  required: { statement: string; address: string };
  clauses: string[];
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}@._+'-]*/gu;
const ADDRESS = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi;

function words(text: string): string[] {
  const folded = text.normalize('NFKC').replace(/[‘’]/g, "'").toLowerCase();
  return Array.from(folded.matchAll(WORD), (m) => m[0].replace(/[._'-]+$/, ''));
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export function checkOutOfOffice(message: string, policy: ResolvedMailPolicy): OutOfOfficeResult {
  const ooo = policy.outOfOffice;
  if (!ooo) throw new HedgerowError('HR_POLICY_REFERENCE', 'the policy defines no out-of-office statement (`mail.outOfOffice`)', { where: { field: 'mail.outOfOffice' } });
  const text = looksLikeHtml(message) ? htmlToText(message) : message;
  const clause = ooo.clauses[0];
  const cite = clause ? { clause } : {};
  const findings: CheckFinding[] = [];
  const have = words(text);
  const compliant = containsSequence(have, words(ooo.statement));
  if (!compliant) {
    const addresses = [...new Set(Array.from(text.matchAll(ADDRESS), (m) => m[0].toLowerCase().replace(/\.$/, '')))];
    if (addresses.includes(ooo.address)) {
      findings.push({ code: 'ooo.statement-incomplete', text: `the message names \`${ooo.address}\` but not in the full statement; use these words: “${ooo.statement}”`, ...cite });
    } else {
      findings.push({ code: 'ooo.statement-missing', text: `the Freedom of Information statement is missing; add: “${ooo.statement}”`, ...cite });
    }
  }
  const localPart = ooo.address.split('@')[0]!;
  for (const address of new Set(Array.from(text.matchAll(ADDRESS), (m) => m[0].toLowerCase().replace(/\.$/, '')))) {
    // another address in the place of the FOI one sends requests astray
    if (address !== ooo.address && address.split('@')[0] === localPart) {
      findings.push({ code: 'ooo.other-address', text: `the message gives \`${address}\` for requests; the policy's address is \`${ooo.address}\``, ...cite });
    }
  }
  return { compliant: compliant && findings.length === 0, findings, required: { statement: ooo.statement, address: ooo.address }, clauses: ooo.clauses };
}
