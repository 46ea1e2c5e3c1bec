// A tripwire for the security tests: every TCP connection this process opens must go to a
// loopback address. A connection anywhere else (the metadata address, a private network, the
// internet) is refused before a packet leaves, and recorded, so a proxy that failed to refuse
// an SSRF target shows up as a failed test and never as traffic off the machine.
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import net from 'node:net';

export interface Tripwire {
  /** every non-loopback destination something in this process tried to connect to */
  readonly tripped: string[];
  remove(): void;
}

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopback(address: string): boolean {
  const version = net.isIP(address);
  if (version === 0) return false;
  if (version === 6 && address.toLowerCase().startsWith('::ffff:') && net.isIP(address.slice(7)) === 4) return loopback.check(address.slice(7), 'ipv4');
  return loopback.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

type LookupFn = (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => void;

function refusal(destination: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`tripwire: a connection to \`${destination}\` would leave this machine`), { code: 'ECONNREFUSED' });
}

export function installTripwire(): Tripwire {
  const tripped: string[] = [];
  const original = net.Socket.prototype.connect;
  const patched = function (this: net.Socket, ...args: unknown[]): net.Socket {
    // node passes one normalised array internally, or (options | port, host, …) from callers
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { host?: string; port?: number; path?: string; lookup?: LookupFn };
    if (options.path !== undefined) return original.apply(this, args as never);
    const host = options.host ?? 'localhost';
    if (net.isIP(host) !== 0) {
      if (!isLoopback(host)) {
        tripped.push(`${host}:${String(options.port)}`);
        process.nextTick(() => this.destroy(refusal(host)));
        return this;
      }
    } else if (typeof first === 'object' && first !== null) {
      const lookup: LookupFn = options.lookup ?? (systemLookup as unknown as LookupFn);
      options.lookup = (hostname, lookupOptions, callback) =>
        lookup(hostname, lookupOptions, (err, address, family) => {
          if (err) return callback(err, address, family);
          const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
          const outside = list.find((a) => !isLoopback(a));
          if (outside !== undefined) {
            tripped.push(`${hostname} → ${outside}:${String(options.port)}`);
            return callback(refusal(outside), '');
          }
          callback(null, address, family);
        });
    }
    return original.apply(this, args as never);
  };
  net.Socket.prototype.connect = patched as typeof original;
  return {
    tripped,
    remove: () => {
      net.Socket.prototype.connect = original;
    },
  };
}
