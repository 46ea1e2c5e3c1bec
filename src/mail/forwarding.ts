// What counts as forwarding, exactly. The forward-webmail rule fires when a recipient is on a
// webmail domain and the message shows one of these:
// - automatic forwarding or redirection, by header: `Auto-Submitted: auto-forwarded`,
//   `Autoforwarded: true` (RFC 2156), `X-Forwarded-To`, `X-Forwarded-For`,
//   `X-MS-Exchange-Inbox-Rules-Loop` (an Exchange inbox rule), or any `Resent-*` header (a
//   redirect or bounce-resend);
// - forwarding by hand: a subject that starts `Fwd:`, `Fw:` or `FW:` (after any `Re:`).
// A plain new message to a webmail address (a parent who uses Gmail) is not forwarding.
import type { Header } from 'postal-mime';

const RESENT = /^resent-/;
const MANUAL = /^\s*(?:(?:re|aw)\s*:\s*)*fwd?\s*:/i;

/** The header evidence of an automatic forward or redirect, as `Name: value` lines. */
export function autoForwardEvidence(headers: readonly Header[]): string[] {
  const found: string[] = [];
  for (const header of headers) {
    const key = header.key;
    const value = header.value.trim();
    const line = `${header.originalKey}: ${value.slice(0, 80)}`;
    if (key === 'auto-submitted' && /^auto-forwarded\b/i.test(value)) found.push(line);
    else if (key === 'autoforwarded' && /^(true|1|yes)\b/i.test(value)) found.push(line);
    else if (key === 'x-forwarded-to' || key === 'x-forwarded-for' || key === 'x-ms-exchange-inbox-rules-loop') found.push(line);
    else if (RESENT.test(key)) found.push(line);
  }
  return found;
}

/** The prefix that marks a subject forwarded by hand (`Fwd:`), or null. */
export function manualForwardPrefix(subject: string): string | null {
  return MANUAL.exec(subject)?.[0].trim() ?? null;
}
