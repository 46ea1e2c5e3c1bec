// Who is at a client address, from the configured networks (a pupil VLAN, a staff VLAN, guest
// Wi-Fi): the most specific network wins; anything else is the policy's unidentified role.
import { BlockList, isIP } from 'node:net';
import type { Person } from '../engine/index.ts';
import type { NetworkMapping } from '../config/index.ts';

export class NetworkIdentifier {
  private readonly networks: Array<{ list: BlockList; prefix: number; mapping: NetworkMapping }>;
  constructor(
    mappings: readonly NetworkMapping[],
    private readonly unidentifiedRole: () => string,
  ) {
    this.networks = mappings
      .map((mapping) => {
        const [address, bits] = mapping.cidr.split('/') as [string, string];
        const list = new BlockList();
        list.addSubnet(address, Number(bits), isIP(address) === 6 ? 'ipv6' : 'ipv4');
        return { list, prefix: Number(bits), mapping };
      })
      .sort((a, b) => b.prefix - a.prefix);
  }

  identify(clientIp: string): Person {
    const address = clientIp.startsWith('::ffff:') ? clientIp.slice(7) : clientIp;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    for (const network of this.networks) {
      if (isIP(address) !== 0 && network.list.check(address, family)) return { role: network.mapping.role, groups: [...network.mapping.groups] };
    }
    return { role: this.unidentifiedRole() };
  }
}
