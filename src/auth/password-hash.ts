// Dashboard account passwords: argon2id (RFC 9106) in the PHC string form
// `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`, so the cost can rise later and old hashes still
// verify. 19 MiB, 2 passes, 1 lane is OWASP's recommended minimum for argon2id.
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { HedgerowError } from '../errors/index.ts';

// 2 is Algorithm.Argon2id; the package declares it as a const enum, which cannot be imported as a value here.
export const ARGON2_OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Stored for accounts that sign in only through the directory: no password ever matches it. */
export const DIRECTORY_ONLY = '!directory';

export const MIN_PASSWORD_LENGTH = 10;
/** long enough for any passphrase; bounds the work one sign-in can make the server do */
export const MAX_PASSWORD_LENGTH = 1024;

/** Throws HR_AUTH_PASSWORD_RULE when a new password is not acceptable. */
export function checkNewPassword(password: string, username: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new HedgerowError('HR_AUTH_PASSWORD_RULE', `the password must be at least ${MIN_PASSWORD_LENGTH} characters long`, { where: { field: 'password' } });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new HedgerowError('HR_AUTH_PASSWORD_RULE', `the password must be at most ${MAX_PASSWORD_LENGTH} characters long`, { where: { field: 'password' } });
  }
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) {
    throw new HedgerowError('HR_AUTH_PASSWORD_RULE', 'the password must not be the username', { where: { field: 'password' } });
  }
}

export function hashAccountPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_OPTIONS);
}

/** False for a wrong password, an over-long one and any stored value that is not an argon2 hash. */
export async function verifyAccountPassword(stored: string, password: string): Promise<boolean> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH || !stored.startsWith('$argon2')) return false;
  try {
    return await verify(stored, password.normalize('NFC'));
  } catch {
    return false;
  }
}

let decoy: Promise<string> | null = null;

/**
 * Spend the time of one verification without an account, so a sign-in for a username that does
 * not exist takes as long as one with a wrong password.
 */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hashAccountPassword('decoy password that matches nothing');
  await verifyAccountPassword(await decoy, password);
  return false;
}
