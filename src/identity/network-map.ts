// Client networks mapped to roles (a pupil VLAN, a staff VLAN, a guest Wi-Fi). Networks are
// configuration, not tables. The most specific prefix containing the address wins, so a staff
// room /26 inside a school-wide pupil /16 is staff.
import { BlockList, isIP } from 'node:net';
import { HedgerowError } from '../errors/index.ts';

export interface NetworkRole {
  name?: string;
  /** `10.20.0.0/16`, `2001:db8:20::/48`, or a bare address (one host) */
  cidr: string;
  role: string;
  groups?: readonly string[];
}

interface CompiledNetwork {
  list: BlockList;
  family: 'ipv4' | 'ipv6';
  prefix: number;
  network: NetworkRole;
}

/** `::ffff:192.0.2.10` → `192.0.2.10`; IPv6 lower-cased; zone ids (`%eth0`) dropped. */
export function canonicalClientIp(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = bare.toLowerCase().startsWith('::ffff:') ? bare.slice(7) : null;
  if (mapped && isIP(mapped) === 4) return mapped;
  return bare.toLowerCase();
}

function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', bits, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class NetworkMap {
  private readonly networks: CompiledNetwork[];

  /** Throws HR_IDENTITY_INPUT naming every network it cannot read. */
  constructor(networks: readonly NetworkRole[]) {
    const bad: string[] = [];
    this.networks = [];
    networks.forEach((network, i) => {
      const cidr = parseCidr(network.cidr);
      if (!cidr || network.role.trim() === '') {
        bad.push(`networks[${i}]${network.name ? ` (${network.name})` : ''}: \`${network.cidr}\``);
        return;
      }
      const list = new BlockList();
      list.addSubnet(cidr.address, cidr.prefix, cidr.family);
      this.networks.push({ list, family: cidr.family, prefix: cidr.prefix, network });
    });
    if (bad.length > 0) {
      throw new HedgerowError('HR_IDENTITY_INPUT', `networks not understood (want a network like 10.20.0.0/16 or 2001:db8::/48 and a role): ${bad.join(', ')}`);
    }
    // longest prefix first; among equal prefixes the order of the configuration decides
    this.networks.sort((a, b) => b.prefix - a.prefix);
  }

  /** The most specific network containing the address, or null. */
  lookup(clientIp: string): NetworkRole | null {
    const ip = canonicalClientIp(clientIp);
    const version = isIP(ip);
    if (version === 0) return null;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    for (const n of this.networks) {
      if (n.family === family && n.list.check(ip, family)) return n.network;
    }
    return null;
  }
}
