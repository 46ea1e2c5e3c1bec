// Hop-by-hop header handling (RFC 9110 §7.6.1, RFC 9112 §9.6): headers that describe one
// connection are never forwarded, nor any header that `Connection` names. `Transfer-Encoding` is
// dropped too: node re-frames the body on the next hop (chunked or Content-Length).
const alwaysHopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

export const viaValue = '1.1 hedgerow';

function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) {
        const t = token.trim().toLowerCase();
        if (t) (tokens ??= new Set()).add(t);
      }
    }
  }
  return tokens;
}

/**
 * Headers for the upstream request, as a flat raw list (`[name, value, …]`, the form node accepts
 * and which keeps duplicates and spelling). `Host` is replaced by the target's authority
 * (RFC 9112 §3.2.2). With `websocket`, `Connection: Upgrade` and `Upgrade: websocket` are kept.
 */
export function requestHeaders(raw: readonly string[], authority: string, options: { websocket?: boolean } = {}): string[] {
  const tokens = connectionTokens(raw);
  const out: string[] = ['Host', authority];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (alwaysHopByHop.has(lower) || (tokens !== null && tokens.has(lower))) continue;
    out.push(name, raw[i + 1]!);
  }
  if (options.websocket) out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  out.push('Via', viaValue);
  return out;
}

/** Headers for the response to the client; `Via` added (RFC 9110 §7.6.3). */
export function responseHeaders(raw: readonly string[], options: { websocket?: boolean } = {}): string[] {
  const tokens = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (alwaysHopByHop.has(lower) || (tokens !== null && tokens.has(lower))) continue;
    out.push(name, raw[i + 1]!);
  }
  if (options.websocket) out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  out.push('Via', viaValue);
  return out;
}
