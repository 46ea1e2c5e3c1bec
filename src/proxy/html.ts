// HTML escaping and the shared page shell of every page the proxy writes itself (block, warn,
// errors). Everything that came from a request goes through `escapeHtml`.

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => entities[c]!);
}

/**
 * Colours meet WCAG AA contrast (dark text on white, white on dark blue buttons); focus is always
 * visible; the layout works at 400 % zoom and without colour.
 */
const style = `
:root{color-scheme:light}
body{margin:0;font:1.125rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;background:#fff}
main{max-width:44rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.75rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.75rem 0 .5rem}
.banner{border-left:.5rem solid #8a1c1c;padding:.25rem 0 .25rem 1rem}
.banner.warn{border-color:#7a4b00}
.banner.error{border-color:#4a4a4a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1rem;overflow-wrap:anywhere}
form{margin:1rem 0;padding:1rem;border:1px solid #6b6b6b;border-radius:.25rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
textarea,input[type=text]{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:2px solid #4a4a4a;border-radius:.25rem}
button{font:inherit;font-weight:600;padding:.5rem 1rem;margin-top:.5rem;color:#fff;background:#0b4f8a;border:2px solid #0b4f8a;border-radius:.25rem;cursor:pointer}
button:hover{background:#083a66}
:focus-visible{outline:3px solid #1b1b1b;outline-offset:3px}
.smart li{margin:.5rem 0}
.hint{color:#3d3d3d}
.problem{color:#8a1c1c;font-weight:600}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;

/** `body` is already-escaped HTML. */
export function page(title: string, body: string): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="robots" content="noindex">' +
    `<title>${escapeHtml(title)}</title><style>${style}</style></head>` +
    `<body><main id="main">${body}</main></body></html>\n`
  );
}

/** `2026-11-25 14:03:07 (Europe/London)`; falls back to UTC for an unknown zone */
export function formatTime(at: number, timeZone: string): string {
  const date = new Date(at);
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(date);
    const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} (${timeZone})`;
  } catch {
    return `${date.toISOString().slice(0, 19).replace('T', ' ')} (UTC)`;
  }
}
