// The proxy auto-configuration file (`/proxy.pac`, `/wpad.dat`): browsers send everything through
// the proxy except local names and the networks the configuration lists.
export interface PacOptions {
  proxyHost: string;
  proxyPort: number;
  /** host names, `*.domain` patterns and IPv4 networks (`10.0.0.0/8`) reached directly */
  bypass: readonly string[];
}

function maskOf(bits: number): string {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 255).join('.');
}

export function renderPac(options: PacOptions): string {
  const lines: string[] = [];
  for (const entry of options.bypass) {
    const net = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
    if (net) {
      const bits = Number(net[2]);
      if (bits <= 32) lines.push(`  if (isInNet(ip, ${JSON.stringify(net[1])}, ${JSON.stringify(maskOf(bits))})) return "DIRECT";`);
    } else if (/^[A-Za-z0-9*.-]+$/.test(entry)) {
      lines.push(`  if (shExpMatch(host, ${JSON.stringify(entry)})) return "DIRECT";`);
    }
  }
  return [
    '// Hedgerow proxy auto-configuration',
    'function FindProxyForURL(url, host) {',
    '  if (isPlainHostName(host)) return "DIRECT";',
    '  var ip = /^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(host) ? host : "";',
    ...lines.map((l) => l.replace('isInNet(ip,', 'ip && isInNet(ip,')),
    `  return "PROXY ${options.proxyHost}:${options.proxyPort}";`,
    '}',
    '',
  ].join('\n');
}
