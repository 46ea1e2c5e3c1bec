// Stopped mail is sealed with AES-256-GCM: a fresh 96-bit nonce per message, the key's id stored
// beside it, and the clear envelope bound in as associated data, so changing the ciphertext, the
// tag or the envelope the officer sees makes opening fail instead of showing something else.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HedgerowError } from '../../errors/index.ts';

export interface QuarantineKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** A short public name for a key: derived from it, so a wrong key shows as an unknown id. */
export function quarantineKeyId(key: Buffer): string {
  return `k-${createHash('sha256').update('hedgerow quarantine key id\0').update(key).digest('hex').slice(0, 16)}`;
}

/** 32 bytes from base64 text (a key file holds the same text). */
export function parseQuarantineKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `the quarantine key from ${source} must be ${KEY_BYTES} bytes in base64 (\`openssl rand -base64 32\`); it is ${key.length} bytes`);
  }
  return key;
}

export function readQuarantineKey(source: { key?: string; keyFile?: string }, what: string): Buffer {
  if (source.key) return parseQuarantineKey(source.key, what);
  if (source.keyFile) {
    let text: string;
    try {
      text = readFileSync(source.keyFile, 'utf8');
    } catch (error) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `cannot read the quarantine key file \`${source.keyFile}\`: ${(error as Error).message}`, { cause: error });
    }
    return parseQuarantineKey(text, `\`${source.keyFile}\``);
  }
  throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `${what} needs a key or a keyFile`);
}

/** The current key seals; it and earlier keys (after a rotation) open. */
export class KeyRing {
  readonly current: QuarantineKey;
  private readonly byId = new Map<string, Buffer>();

  constructor(current: Buffer, previous: ReadonlyArray<{ id?: string; key: Buffer }> = []) {
    if (current.length !== KEY_BYTES) throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `the quarantine key must be ${KEY_BYTES} bytes`);
    this.current = { id: quarantineKeyId(current), key: Buffer.from(current) };
    this.byId.set(this.current.id, this.current.key);
    for (const old of previous) {
      if (old.key.length !== KEY_BYTES) throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `an earlier quarantine key must be ${KEY_BYTES} bytes`);
      this.byId.set(old.id ?? quarantineKeyId(old.key), Buffer.from(old.key));
    }
  }

  static fromConfig(config: { key?: string; keyFile?: string; previousKeys?: ReadonlyArray<{ id: string; key?: string; keyFile?: string }> }): KeyRing {
    const current = readQuarantineKey(config, 'mail.quarantine');
    const previous = (config.previousKeys ?? []).map((old, i) => ({ id: old.id, key: readQuarantineKey(old, `mail.quarantine.previousKeys[${i}]`) }));
    return new KeyRing(current, previous);
  }

  seal(plain: Uint8Array, associated: Buffer): Sealed {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    cipher.setAAD(associated);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { keyId: this.current.id, nonce, ciphertext, tag: cipher.getAuthTag() };
  }

  /** The plain bytes; throws HR_MAIL_QUARANTINE_KEY for an unknown key, _TAMPERED when anything was changed. */
  open(sealed: Sealed, associated: Buffer, what: string): Buffer {
    const key = this.byId.get(sealed.keyId);
    if (!key) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_KEY', `${what} was sealed with key \`${sealed.keyId}\`, which is not configured (current key \`${this.current.id}\`)`, { httpStatus: 500 });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
      decipher.setAAD(associated);
      decipher.setAuthTag(sealed.tag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
    } catch (error) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_TAMPERED', `${what} failed its integrity check: its content or envelope was changed after it was sealed`, { cause: error, httpStatus: 500 });
    }
  }
}
