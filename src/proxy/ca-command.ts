// `hedgerow ca create|show`: the school CA used by TLS inspection, kept in `<HEDGEROW_DATA>/ca/`.
// The key is written with mode 0600 and never printed; `show` prints what devices need to trust
// (the certificate and its SHA-256 fingerprint).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HedgerowError } from '../errors/index.ts';
import { certificateFingerprint, createCertificateAuthority, defaultCaName, type CaFiles } from './certificate-authority.ts';

export interface CaIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export const CA_USAGE = `Usage:
  hedgerow ca create [--name NAME] [--days N] [--force]
                         make the school CA for TLS inspection (default name "${defaultCaName}",
                         ${1825} days); refuses to replace an existing CA without --force
  hedgerow ca show       the CA certificate (PEM) and its SHA-256 fingerprint, to install on devices

The CA lives in HEDGEROW_DATA/ca (default ./data/ca); the key file is readable by its owner only.`;

const keyFile = 'ca-key.pem';
const certFile = 'ca-cert.pem';

class UsageError extends Error {}

/** `<HEDGEROW_DATA>/ca` */
export function caDirectory(env: NodeJS.ProcessEnv): string {
  return join(resolve(env.HEDGEROW_DATA && env.HEDGEROW_DATA !== '' ? env.HEDGEROW_DATA : 'data'), 'ca');
}

/** The CA's key and certificate from a CA folder, or null when there is none yet. */
export function readCertificateAuthority(directory: string): CaFiles | null {
  const keyPath = join(directory, keyFile);
  const certPath = join(directory, certFile);
  if (!existsSync(keyPath) || !existsSync(certPath)) return null;
  try {
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } catch (err) {
    throw new HedgerowError('HR_CONFIG_INVALID', `the inspection CA in \`${directory}\` cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Write a file whole, with its mode from the start: a temporary file renamed into place. */
function writeWhole(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode, flag: 'wx' });
    // the umask may have narrowed the mode; set it exactly
    chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}

function days(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 36500) throw new UsageError(`--days wants a whole number of days from 1 to 36500, not \`${text}\``);
  return Number(text);
}

export async function caCommand(args: string[], io: CaIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean' } },
        strict: true,
        allowPositionals: false,
      });
      const validity = days(values.days);
      const directory = caDirectory(io.env);
      const keyPath = join(directory, keyFile);
      const certPath = join(directory, certFile);
      if (!values.force && (existsSync(keyPath) || existsSync(certPath))) {
        io.stderr.write(
          `hedgerow ca: a CA already exists in \`${directory}\`; devices that trust it would stop trusting inspected sites if it were replaced. Use --force to replace it anyway.\n`,
        );
        return 1;
      }
      const ca = await createCertificateAuthority({
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(validity === undefined ? {} : { days: validity }),
        ...(io.now ? { now: io.now() } : {}),
      });
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      writeWhole(keyPath, ca.key, 0o600);
      writeWhole(certPath, ca.cert, 0o644);
      io.stdout.write(`created the inspection CA in ${directory}\n  certificate: ${certPath}\n  key:         ${keyPath} (owner only)\n  SHA-256 fingerprint: ${certificateFingerprint(ca.cert)}\n`);
      io.stdout.write('Install the certificate on school devices as a trusted root (`hedgerow ca show` prints it), then turn on inspection for the groups that need it.\n');
      return 0;
    }
    if (sub === 'show') {
      parseArgs({ args: rest, options: {}, strict: true, allowPositionals: false });
      const directory = caDirectory(io.env);
      const ca = readCertificateAuthority(directory);
      if (ca === null) {
        io.stderr.write(`hedgerow ca: no CA in \`${directory}\` (run \`hedgerow ca create\` first)\n`);
        return 1;
      }
      io.stdout.write(ca.cert.endsWith('\n') ? ca.cert : `${ca.cert}\n`);
      io.stdout.write(`SHA-256 fingerprint: ${certificateFingerprint(ca.cert)}\n`);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'ca wants `create` or `show`' : `unknown ca command \`${sub}\``);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`hedgerow ca: ${(error as Error).message}\n\n${CA_USAGE}\n`);
      return 2;
    }
    if (error instanceof HedgerowError) {
      io.stderr.write(`hedgerow ca: ${error.code}: ${error.message}\n`);
      return error.code === 'HR_CLI_USAGE' ? 2 : 1;
    }
    throw error;
  }
}
