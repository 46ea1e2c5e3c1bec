// Where the proxy may connect, and what to say when it cannot. Names are resolved through the
// given resolver and every address is checked against the forbidden set *before* connecting, and
// the connection goes to the checked address (no second lookup a rebinding DNS could answer
// differently).
import { isIP } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { AddressPortSet } from './cidr.ts';
import { canonicalIp } from './cidr.ts';

export type UpstreamFailure = 'dns' | 'refused' | 'timeout' | 'forbidden' | 'loop' | 'reset' | 'certificate' | 'tls' | 'other';

/** OpenSSL's verification results and node's name check: the upstream certificate is not trusted */
const certificateCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why the proxy could not (or would not) reach a target; answered with an error page, never thrown to a caller. */
export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  constructor(failure: UpstreamFailure, message: string) {
    super(message);
    this.name = 'UpstreamError';
    this.failure = failure;
  }
}

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamError) return err.failure;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
    case 'ENODATA':
      return 'dns';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'EPROTO':
      return 'tls';
    default:
      if (typeof code === 'string' && certificateCodes.has(code)) return 'certificate';
      if (typeof code === 'string' && code.startsWith('ERR_SSL_')) return 'tls';
      return 'other';
  }
}

export interface TargetGuard {
  /** throws UpstreamError (forbidden / loop); `toOwnService` lets the block page's forms reach the HTTP service */
  checkAddress(ip: string, port: number, toOwnService?: boolean): void;
}

/** `ownServices`: this machine's other Hedgerow listeners (dashboard and API, DNS, mail), refused like the proxy itself. */
export function makeTargetGuard(forbidden: AddressPortSet, self: AddressPortSet, ownServices?: AddressPortSet): TargetGuard {
  return {
    checkAddress(ip: string, port: number, toOwnService = false): void {
      const address = canonicalIp(ip);
      if (self.has(address, port)) throw new UpstreamError('loop', `\`${address}:${port}\` is this proxy`);
      if (!toOwnService && ownServices?.has(address, port)) throw new UpstreamError('loop', `\`${address}:${port}\` is a service of this filter`);
      if (forbidden.has(address, port)) throw new UpstreamError('forbidden', `\`${address}\` is not an allowed destination`);
    },
  };
}

/** Resolve a host to addresses that pass the guard; a name with any forbidden address is refused as a whole. */
export async function resolveGuarded(
  host: string,
  port: number,
  resolve: (host: string) => Promise<string[]>,
  guard: TargetGuard,
): Promise<string[]> {
  if (isIP(host) !== 0) {
    guard.checkAddress(host, port);
    return [host];
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    const failure = classifyUpstreamError(err);
    throw new UpstreamError(failure === 'other' ? 'dns' : failure, `could not find \`${host}\``);
  }
  if (addresses.length === 0) throw new UpstreamError('dns', `could not find \`${host}\``);
  for (const address of addresses) guard.checkAddress(address, port);
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for `http.request`/`net.connect` that goes through `resolveGuarded` (called only for new connections). */
export function guardedLookup(port: number, resolve: (host: string) => Promise<string[]>, guard: TargetGuard) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolveGuarded(hostname, port, resolve, guard).then(
      (addresses) => {
        const wanted = options.family === 6 || options.family === 'IPv6' ? 6 : options.family === 4 || options.family === 'IPv4' ? 4 : 0;
        const list = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => wanted === 0 || a.family === wanted);
        if (list.length === 0) {
          callback(Object.assign(new UpstreamError('dns', `could not find \`${hostname}\``), { errno: 0, syscall: 'lookup' }), '');
        } else if (options.all) callback(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, ''),
    );
  };
}
