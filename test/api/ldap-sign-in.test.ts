// Dashboard sign-in by a bind to a real OpenLDAP server (Debian's slapd on 127.0.0.1 and a free
// port): the directory proves the password, its group mapping gives the role, and the first
// sign-in creates a directory-only account. Skipped only when slapd is not installed and CI is not set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { coreRoutes } from '../../src/api/index.ts';
import { LdapAuthenticator } from '../../src/identity/index.ts';
import { slapdUnavailable, startSlapd, SUFFIX, type Slapd } from '../identity/slapd.ts';
import { addAccount, apiFixture, Browser, type ApiFixture } from './fixture.ts';

const skip = slapdUnavailable();

describe('dashboard sign-in through the directory', { skip: skip ?? false }, () => {
  let slapd: Slapd;
  let f: ApiFixture;

  before(async () => {
    slapd = await startSlapd(
      [
        { uid: 'ada.tinderbox', cn: 'Ada Tinderbox', password: 'Sparrow-Hawk-Lantern' },
        { uid: 'nigel.applegarth', cn: 'Nigel Applegarth', password: 'Curlew-Moss-Lantern' },
        { uid: 'imogen.fairweather', cn: 'Imogen Fairweather', password: 'Otter-Pebble-Lantern' },
        { uid: 'marjorie.wychwood', cn: 'Marjorie Wychwood', password: 'Directory-Password-1' },
      ],
      [
        { cn: 'teachers', members: ['ada.tinderbox'] },
        { cn: 'safeguarding', members: ['nigel.applegarth'] },
      ],
    );
    const directory = new LdapAuthenticator({
      url: slapd.url,
      bindDnTemplate: `uid={username},ou=people,${SUFFIX}`,
      groupRoles: [
        { group: `cn=safeguarding,ou=groups,${SUFFIX}`, role: 'safeguarding-lead' },
        { group: `cn=teachers,ou=groups,${SUFFIX}`, role: 'teacher' },
      ],
    });
    f = await apiFixture(coreRoutes, { directory });
    await addAccount(f, 'marjorie.wychwood', 'headteacher', 'Local-Password-Here');
  });
  after(async () => {
    await f?.close();
    await slapd?.stop();
  });

  it('the first sign-in binds, takes the role from the group mapping and creates a directory-only account', async () => {
    const browser = new Browser(f);
    const response = await browser.signIn('ada.tinderbox', 'Sparrow-Hawk-Lantern');
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().account.role, 'teacher');
    assert.equal(response.json().account.displayName, 'Ada Tinderbox');
    const account = await f.deps.auth!.accounts.byUsername('ada.tinderbox');
    assert.equal(account?.password_hash, '!directory');
    const entry = (await f.deps.audit.entries()).find((e) => e.subject === 'account:ada.tinderbox');
    assert.equal(entry?.actor, 'directory');
    assert.equal((entry?.after as { signIn: string }).signIn, 'directory');
    // a second sign-in uses the same account
    assert.equal((await new Browser(f).signIn('ada.tinderbox', 'Sparrow-Hawk-Lantern')).statusCode, 200);
    assert.equal((await f.deps.auth!.accounts.list()).filter((a) => a.username === 'ada.tinderbox').length, 1);
    assert.equal((await slapd.bindCount(`uid=ada.tinderbox,ou=people,${SUFFIX}`)) >= 2, true, 'slapd saw the binds');
  });

  it('a wrong directory password is the same 401 as any wrong password', async () => {
    const response = await new Browser(f).signIn('nigel.applegarth', 'not the password');
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error.code, 'HR_AUTH_SIGN_IN_FAILED');
    assert.equal(await f.deps.auth!.accounts.byUsername('nigel.applegarth'), null);
  });

  it('a person the directory maps to no role of the policy is refused and gets no account', async () => {
    const response = await new Browser(f).signIn('imogen.fairweather', 'Otter-Pebble-Lantern');
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'HR_API_FORBIDDEN');
    assert.equal(await f.deps.auth!.accounts.byUsername('imogen.fairweather'), null);
  });

  it('an account with a local password signs in with that password, not the directory’s', async () => {
    assert.equal((await new Browser(f).signIn('marjorie.wychwood', 'Directory-Password-1')).statusCode, 401);
    assert.equal((await new Browser(f).signIn('marjorie.wychwood', 'Local-Password-Here')).statusCode, 200);
  });

  it('a disabled directory account is refused even with the right directory password', async () => {
    assert.equal((await new Browser(f).signIn('nigel.applegarth', 'Curlew-Moss-Lantern')).statusCode, 200);
    const id = (await f.deps.auth!.accounts.byUsername('nigel.applegarth'))!.id;
    await f.deps.auth!.updateAccount(id, { disabled: true }, { actor: 'marjorie.wychwood', reason: 'on leave' });
    assert.equal((await new Browser(f).signIn('nigel.applegarth', 'Curlew-Moss-Lantern')).statusCode, 401);
  });

  it('a directory account changes its password in the directory, not here', async () => {
    const browser = new Browser(f);
    await browser.signIn('ada.tinderbox', 'Sparrow-Hawk-Lantern');
    const response = await browser.request('POST', '/api/account/password', { current: 'Sparrow-Hawk-Lantern', next: 'Another-Long-Password' });
    assert.equal(response.statusCode, 409);
    assert.match(response.json().error.message, /directory/);
  });
});
