// Address sets for "who may use the proxy" and "where the proxy never connects". Built on node's
// native `net.BlockList`, which also matches IPv4-mapped IPv6 addresses against IPv4 ranges.
import { BlockList, isIP } from 'node:net';

export interface AddressSet {
  has(ip: string): boolean;
}

export interface AddressPortSet {
  /** true when the address is listed for every port or for this port */
  has(ip: string, port: number): boolean;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128); null when not understood */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.indexOf('/');
  const address = unbracket(slash < 0 ? text.trim() : text.slice(0, slash).trim());
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function unbracket(host: string): string {
  return host.length > 1 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `::ffff:192.0.2.10` → `192.0.2.10`, so logs and identity lookups see one spelling */
export function canonicalIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip.toLowerCase();
}

/** Throws nothing: returns the set and the entries it could not read. */
export function buildAddressSet(cidrs: readonly string[]): { set: AddressSet; invalid: string[] } {
  const list = new BlockList();
  const invalid: string[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) {
      invalid.push(text);
      continue;
    }
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return {
    invalid,
    set: {
      has(ip: string): boolean {
        const version = isIP(ip);
        return version !== 0 && list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
      },
    },
  };
}

/**
 * Entries are CIDRs (every port) or `address:port` / `[v6]:port` (that port only, used for the
 * proxy's own listening socket).
 */
export function buildAddressPortSet(entries: readonly string[]): { set: AddressPortSet; invalid: string[] } {
  const everyPort: string[] = [];
  const withPort = new Map<number, string[]>();
  const invalid: string[] = [];
  for (const raw of entries) {
    const text = raw.trim();
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
    if (m && isIP(m[1]!) !== 0) {
      const port = Number(m[2]);
      const list = withPort.get(port) ?? [];
      list.push(m[1]!);
      withPort.set(port, list);
    } else if (parseCidr(text)) {
      everyPort.push(text);
    } else {
      invalid.push(raw);
    }
  }
  const all = buildAddressSet(everyPort).set;
  const perPort = new Map([...withPort].map(([port, list]) => [port, buildAddressSet(list).set] as const));
  return {
    invalid,
    set: {
      has(ip: string, port: number): boolean {
        return all.has(ip) || (perPort.get(port)?.has(ip) ?? false);
      },
    },
  };
}
