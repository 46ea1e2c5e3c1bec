// How a matched value appears in a decision, a log or an SMTP reply: enough for the sender to
// find it in their message, never the whole value.

/** `…919`: the last characters only. */
export function tail(value: string, keep = 3): string {
  const compact = value.replace(/[\s-]/g, '');
  return `…${compact.slice(-keep)}`;
}

/** `P. H.`: initials of a name. */
export function initials(name: string): string {
  return name
    .split(/[\s,]+/)
    .filter((w) => w.length > 0)
    .map((w) => `${w[0]!.toUpperCase()}.`)
    .join(' ');
}

/** `TF1 …`: the outward code only (a district of thousands of addresses). */
export function outwardCode(postcode: string): string {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  return `${compact.slice(0, -3)} …`;
}

/** The text with each span replaced by its redacted form (spans sorted, not overlapping). */
export function redactSpans(text: string, spans: ReadonlyArray<{ start: number; end: number; match: string }>): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const span of sorted) {
    if (span.start < at) continue;
    out += text.slice(at, span.start) + `[${span.match}]`;
    at = span.end;
  }
  return out + text.slice(at);
}
