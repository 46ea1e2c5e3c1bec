// Escaping user input before it goes into an LDAP DN or search filter. A username is never
// trusted: `*` or `)(uid=*` in a filter, or `,` and `+` in a DN, would change what is asked.

/** RFC 4514 §2.4: escape an attribute value for use inside a DN (`uid=<value>,ou=people,…`). */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = ch.charCodeAt(0);
    if (code === 0) out += '\\00';
    else if ('"+,;<>\\='.includes(ch)) out += `\\${ch}`;
    else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')) out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** RFC 4515 §3: escape an assertion value for use inside a filter (`(uid=<value>)`). */
export function escapeFilterValue(value: string): string {
  // `*`, `(`, `)`, `\` and NUL must be escaped; other control characters are escaped for clarity.
  // Characters outside ASCII need no escaping: their UTF-8 bytes never collide with these.
  return value.replace(/[*()\\\x00-\x1f\x7f]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Replaces `{name}` placeholders with already escaped values; unknown placeholders stay. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) => (name in values ? values[name]! : whole));
}
