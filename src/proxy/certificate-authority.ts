// The school's inspection CA and the per-host certificates it signs. ECDSA P-256 with SHA-256,
// made with WebCrypto through @peculiar/x509.
//
// NOTE: one leaf key pair serves every host certificate (as most inspecting proxies do): making a
// key pair per host would double the cost of a first visit for no gain, since every leaf key is
// held by this same process anyway. What is per host is the certificate (its SAN) and its short
// validity.
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
// @peculiar/x509 needs a Reflect metadata polyfill, loaded before it
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { HedgerowError } from '../errors/index.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;

/** PEM text of a CA (or any) key and certificate. */
export interface CaFiles {
  key: string;
  cert: string;
}

export interface CreateCaOptions {
  /** the certificate's common name (shown on devices that trust it) */
  name?: string;
  days?: number;
  now?: number;
}

export const defaultCaName = 'Hedgerow web filter inspection CA';

/** a positive 128-bit serial, hex */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** A CN value with the characters that would change the DN's meaning escaped (RFC 4514). */
function cn(value: string): string {
  return `CN=${value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ')}`;
}

/** A new self-signed CA: CA:true, pathlen 0 (it signs leaves only), keyCertSign + cRLSign. */
export async function createCertificateAuthority(options: CreateCaOptions = {}): Promise<CaFiles> {
  const name = (options.name ?? defaultCaName).trim();
  if (name === '' || name.length > 64) throw new HedgerowError('HR_CLI_USAGE', `CA name \`${name}\` must be 1 to 64 characters`);
  const days = options.days ?? 1825;
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new HedgerowError('HR_CLI_USAGE', `CA validity \`${String(days)}\` must be a whole number of days from 1 to 36500`);
  const now = options.now ?? Date.now();
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: cn(name),
    notBefore: new Date(now - hourMs),
    notAfter: new Date(now + days * dayMs),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: toPem(pkcs8, 'PRIVATE KEY'), cert: cert.toString('pem') + '\n' };
}

/** SHA-256 of the certificate's DER, as `AB:CD:…` (the form `openssl x509 -fingerprint -sha256` prints). */
export function certificateFingerprint(certPem: string): string {
  const der = Buffer.from(new x509.X509Certificate(certPem).rawData);
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export interface LeafStats {
  /** certificates made (one per host, until evicted) */
  issued: number;
  /** handshakes served from the cache (or from a generation already under way) */
  reused: number;
  cached: number;
  /** total milliseconds spent making certificates */
  issueMs: number;
}

interface LoadedCa {
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
  certPem: string;
}

/** Read a CA from PEM; every problem is a configuration error that names the part at fault. */
async function loadCa(files: CaFiles): Promise<LoadedCa> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(files.cert);
  } catch (err) {
    throw new HedgerowError('HR_CONFIG_INVALID', `inspection CA: the certificate cannot be read: ${(err as Error).message}`, { where: { field: 'inspection.ca.cert' }, cause: err });
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new HedgerowError('HR_CONFIG_INVALID', 'inspection CA: the certificate is not a CA certificate (basicConstraints CA:true missing)', { where: { field: 'inspection.ca.cert' } });
  let signingKey: CryptoKey;
  try {
    const der = createPrivateKey(files.key).export({ format: 'der', type: 'pkcs8' });
    signingKey = await webcrypto.subtle.importKey('pkcs8', der, keyAlgorithm, false, ['sign']);
  } catch (err) {
    // the key text itself never goes into a message
    throw new HedgerowError('HR_CONFIG_INVALID', 'inspection CA: the key cannot be read (it must be an ECDSA P-256 private key in PEM)', { where: { field: 'inspection.ca.key' }, cause: err });
  }
  // a key from another CA would sign certificates no device accepts: refuse it at start
  const probe = new TextEncoder().encode('hedgerow inspection CA key check');
  let matches = false;
  try {
    const publicKey = await cert.publicKey.export(keyAlgorithm, ['verify'], webcrypto as unknown as Crypto);
    matches = await webcrypto.subtle.verify(signingAlgorithm, publicKey, await webcrypto.subtle.sign(signingAlgorithm, signingKey, probe), probe);
  } catch {
    matches = false;
  }
  if (!matches) throw new HedgerowError('HR_CONFIG_INVALID', 'inspection CA: the key does not belong to the certificate', { where: { field: 'inspection.ca.key' } });
  return { cert, signingKey, certPem: files.cert };
}

export interface LeafIssuerOptions {
  /** host certificates kept (least recently used dropped first; default 5000) */
  cacheSize?: number;
  /** validity of a host certificate (default 7 days; backdated 1 hour for clock skew) */
  validityMs?: number;
  now?: () => number;
}

interface CachedLeaf {
  context: SecureContext;
  /** renewed when less than a day remains */
  renewAt: number;
}

/**
 * Per-host TLS contexts signed by the CA, cached in memory. A host is generated once, even when
 * many handshakes for it arrive together (they wait on the same promise).
 */
export class LeafIssuer {
  readonly stats: LeafStats = { issued: 0, reused: 0, cached: 0, issueMs: 0 };
  private readonly cache = new Map<string, CachedLeaf>();
  private readonly inFlight = new Map<string, Promise<SecureContext>>();
  private readonly cacheSize: number;
  private readonly validityMs: number;
  private readonly now: () => number;
  private readonly ready: Promise<{ ca: LoadedCa; leafKeys: CryptoKeyPair; leafKeyPem: string }>;

  constructor(ca: CaFiles, options: LeafIssuerOptions = {}) {
    this.cacheSize = Math.max(1, options.cacheSize ?? 5000);
    this.validityMs = options.validityMs ?? 7 * dayMs;
    this.now = options.now ?? Date.now;
    this.ready = (async () => {
      const loaded = await loadCa(ca);
      const leafKeys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      const leafKeyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
      return { ca: loaded, leafKeys, leafKeyPem };
    })();
    // a bad CA is reported by `init` (and by every `contextFor`); never an unhandled rejection
    this.ready.catch(() => undefined);
  }

  /** resolves once the CA is loaded; rejects with the configuration error */
  async init(): Promise<void> {
    await this.ready;
  }

  /** The TLS context for a host name or IP address. */
  contextFor(host: string): Promise<SecureContext> {
    const at = this.now();
    const hit = this.cache.get(host);
    if (hit !== undefined && at < hit.renewAt) {
      // Map order is insertion order: re-inserting marks it most recently used
      this.cache.delete(host);
      this.cache.set(host, hit);
      this.stats.reused++;
      return Promise.resolve(hit.context);
    }
    const pending = this.inFlight.get(host);
    if (pending !== undefined) {
      this.stats.reused++;
      return pending;
    }
    const made = this.issue(host, at).finally(() => this.inFlight.delete(host));
    this.inFlight.set(host, made);
    return made;
  }

  private async issue(host: string, at: number): Promise<SecureContext> {
    const { ca, leafKeys, leafKeyPem } = await this.ready;
    const started = performance.now();
    const notAfter = Math.min(at + this.validityMs, ca.cert.notAfter.getTime());
    const ip = isIP(host) !== 0;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: ip ? cn(host) : cn(host.length <= 64 ? host : host.slice(0, 64)),
      issuer: ca.cert.subject,
      notBefore: new Date(at - hourMs),
      notAfter: new Date(notAfter),
      publicKey: leafKeys.publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      ],
    });
    const context = createSecureContext({ key: leafKeyPem, cert: `${cert.toString('pem')}\n${ca.certPem}`, minVersion: 'TLSv1.2' });
    this.stats.issued++;
    this.stats.issueMs += performance.now() - started;
    this.cache.delete(host);
    this.cache.set(host, { context, renewAt: Math.min(notAfter - dayMs, at + this.validityMs / 2) });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.stats.cached = this.cache.size;
    return context;
  }
}
