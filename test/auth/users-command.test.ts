// `hedgerow users …`: the first administrator and account recovery from the command line, into
// the same store the server uses; the password never appears on the command line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthService } from '../../src/auth/index.ts';
import { defaultStoreUrl, usersCommand } from '../../src/cli/users-command.ts';
import { AuditLog, openDatabase } from '../../src/db/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-users-'));
const env = { ...process.env, HEDGEROW_DATA: dataDir, HEDGEROW_DATABASE_URL: '', HEDGEROW_POLICY: '' };

async function users(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await usersCommand(args, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    stdin: Readable.from([input]),
    env,
    now: () => Date.parse('2026-09-01T08:00:00Z'),
  });
  return { code, stdout, stderr };
}

async function signIn(username: string, password: string): Promise<boolean> {
  const store = await openDatabase(defaultStoreUrl(env));
  try {
    const { policy } = loadPolicy(referencePolicyPath());
    const auth = new AuthService({ store, audit: new AuditLog(store), policy: () => policy!, now: Date.now });
    await auth.signIn({ username, password, clientIp: '127.0.0.1' });
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

describe('hedgerow users', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('adds the first headteacher with the password from standard input, into the data folder’s store', async () => {
    const r = await users(['add', '--role', 'headteacher', '--username', 'Marjorie.Wychwood', '--name', 'Marjorie Wychwood'], 'Wych-Elm-Lantern\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^added marjorie\.wychwood\theadteacher\tenabled\tpassword\tMarjorie Wychwood$/m);
    assert.match(r.stdout, /may: .*accounts\.manage/);
    assert.equal(defaultStoreUrl(env), `sqlite:${join(dataDir, 'hedgerow.db')}`);
    assert.equal(await signIn('marjorie.wychwood', 'Wych-Elm-Lantern'), true);
  });

  it('takes the password from --password-file and records the change in the audit log with the system user', async () => {
    const file = join(dataDir, 'password.txt');
    writeFileSync(file, 'Tinder-Box-Kestrel\nsecond line ignored\n');
    const r = await users(['add', '--role', 'teacher', '--username', 'ada.tinderbox', '--name', 'Ada Tinderbox', '--password-file', file, '--reason', 'new class teacher']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await signIn('ada.tinderbox', 'Tinder-Box-Kestrel'), true);
    const store = await openDatabase(defaultStoreUrl(env));
    const entries = await new AuditLog(store).entries();
    await store.close();
    const entry = entries.find((e) => e.subject === 'account:ada.tinderbox')!;
    assert.match(entry.actor, /^cli/);
    assert.equal(entry.reason, 'new class teacher');
    assert.ok(!JSON.stringify(entries).includes('Tinder-Box-Kestrel'));
  });

  it('refuses a role the policy does not define, a weak password and a taken username, with exit 1', async () => {
    const wizard = await users(['add', '--role', 'wizard', '--username', 'merlin', '--name', 'Merlin'], 'Long-Enough-Password\n');
    assert.equal(wizard.code, 1);
    assert.match(wizard.stderr, /HR_AUTH_ACCOUNT_INPUT: role: role `wizard` is not a role of the policy/);
    const weak = await users(['add', '--role', 'teacher', '--username', 'ben.quayle', '--name', 'Ben Quayle'], 'short\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /HR_AUTH_PASSWORD_RULE/);
    const taken = await users(['add', '--role', 'teacher', '--username', 'ADA.TINDERBOX', '--name', 'Ada'], 'Long-Enough-Password\n');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /HR_AUTH_ACCOUNT_EXISTS/);
  });

  it('a missing option is a usage error with exit 2', async () => {
    const r = await users(['add', '--username', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --username, --name and --role/);
    assert.equal((await users(['frobnicate'])).code, 2);
  });

  it('lists accounts, disables and re-enables one, and sets a new password', async () => {
    const list = await users(['list', '--json']);
    assert.deepEqual(JSON.parse(list.stdout).map((a: { username: string }) => a.username), ['ada.tinderbox', 'marjorie.wychwood']);
    assert.equal((await users(['disable', 'ada.tinderbox', '--reason', 'on leave'])).code, 0);
    assert.equal(await signIn('ada.tinderbox', 'Tinder-Box-Kestrel'), false);
    assert.equal((await users(['enable', 'ada.tinderbox'])).code, 0);
    const passwd = await users(['passwd', 'ada.tinderbox'], 'Brand-New-Kestrel\n');
    assert.equal(passwd.code, 0, passwd.stderr);
    assert.equal(await signIn('ada.tinderbox', 'Brand-New-Kestrel'), true);
    assert.equal((await users(['passwd', 'nobody'], 'Brand-New-Kestrel\n')).code, 1);
  });

  it('the last administrator cannot be disabled from the command line either', async () => {
    const r = await users(['disable', 'marjorie.wychwood']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HR_AUTH_LAST_ADMIN/);
  });

  it('runs through bin/hedgerow.js with the password piped in', () => {
    const result = spawnSync(process.execPath, [join(root, 'bin/hedgerow.js'), 'users', 'add', '--role', 'governor', '--username', 'rupert.thornbury', '--name', 'Rupert Thornbury'], {
      cwd: root,
      input: 'Thorn-Bury-Governor\n',
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /may: session\.self, policy\.read, reports\.aggregate/);
  });
});
