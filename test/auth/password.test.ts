// Dashboard passwords are stored as argon2id PHC strings and checked in constant time by the
// library; the rules for a new password are the same for the CLI, the setup page and the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '@node-rs/argon2';
import { HedgerowError } from '../../src/errors/index.ts';
import { checkNewPassword, DIRECTORY_ONLY, hashAccountPassword, verifyAccountPassword } from '../../src/auth/index.ts';

test('a dashboard password is stored as an argon2id PHC string with at least 19 MiB, 2 passes and a 16-byte salt', async () => {
  const stored = await hashAccountPassword('Kestrel-Meadow-Lantern');
  assert.match(stored, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const options = parseOptions(stored);
  assert.ok(options.memoryCost >= 19_456, `memory ${options.memoryCost} KiB`);
  assert.ok(options.timeCost >= 2);
  assert.equal(options.saltLen, 16);
  assert.ok(!stored.includes('Kestrel'));
});

test('the same password hashed twice gives two different strings, and each verifies', async () => {
  const a = await hashAccountPassword('Kestrel-Meadow-Lantern');
  const b = await hashAccountPassword('Kestrel-Meadow-Lantern');
  assert.notEqual(a, b);
  assert.equal(await verifyAccountPassword(a, 'Kestrel-Meadow-Lantern'), true);
  assert.equal(await verifyAccountPassword(b, 'Kestrel-Meadow-Lantern'), true);
});

test('a wrong, empty or over-long password does not verify, nor does a directory-only account', async () => {
  const stored = await hashAccountPassword('Kestrel-Meadow-Lantern');
  assert.equal(await verifyAccountPassword(stored, 'kestrel-meadow-lantern'), false);
  assert.equal(await verifyAccountPassword(stored, ''), false);
  assert.equal(await verifyAccountPassword(stored, 'x'.repeat(2000)), false);
  assert.equal(await verifyAccountPassword(DIRECTORY_ONLY, DIRECTORY_ONLY), false);
  assert.equal(await verifyAccountPassword('scrypt$16384$8$1$AAAA$BBBB', 'anything'), false);
});

test('a composed and a decomposed accented password are the same password', async () => {
  const stored = await hashAccountPassword('Zoë-walks-the-moor');
  assert.equal(await verifyAccountPassword(stored, 'Zoe\u0308-walks-the-moor'), true);
});

test('a new password must be 10 to 1024 characters and not the username', () => {
  const refused = (password: string, username = 'ada.tinderbox') => {
    try {
      checkNewPassword(password, username);
      return null;
    } catch (error) {
      assert.ok(error instanceof HedgerowError);
      assert.equal(error.code, 'HR_AUTH_PASSWORD_RULE');
      assert.equal(error.where?.field, 'password');
      return error.message;
    }
  };
  assert.match(refused('short')!, /at least 10 characters/);
  assert.match(refused('x'.repeat(1025))!, /at most 1024/);
  assert.match(refused('Ada.Tinderbox')!, /not be the username/);
  assert.equal(refused('ten chars!'), null);
});
