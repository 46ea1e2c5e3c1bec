// Signing in and out of the API over HTTP, on SQLite and once more on a real PostgreSQL: wrong
// passwords, throttling, no session fixation, CSRF, the idle timeout of 6.16 on an injected
// clock, sign-out everywhere and changing one's own password.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { coreRoutes } from '../../src/api/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { addAccount, apiFixture, Browser, type ApiFixture } from './fixture.ts';

const pgMissing = postgresUnavailable();
const MINUTE = 60_000;
const PASSWORD = 'correct horse battery';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sign-in over HTTP on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let fixture: ApiFixture;
    let databases = 0;

    before(async () => {
      if (dialect === 'postgres') server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
    });

    async function fresh(): Promise<ApiFixture> {
      databases += 1;
      const url = server ? await server.createDatabase(`signin_${databases}`) : undefined;
      fixture = await apiFixture(coreRoutes, {
        ...(url ? { url } : {}),
        auth: { throttle: { perUsername: { freeFailures: 3, baseDelayMs: 60_000 }, perAddress: { freeFailures: 10, baseDelayMs: 60_000 } } },
      });
      await addAccount(fixture, 'marjorie.wychwood', 'headteacher');
      await addAccount(fixture, 'ada.tinderbox', 'teacher');
      return fixture;
    }

    it('signs in with the right password: an HttpOnly SameSite=Strict cookie, a CSRF token and the role’s permissions', async () => {
      const f = await fresh();
      const browser = new Browser(f);
      const response = await browser.signIn('Ada.Tinderbox', PASSWORD);
      assert.equal(response.statusCode, 200, response.body);
      const cookie = String(response.headers['set-cookie']);
      assert.match(cookie, /^hedgerow_session=[A-Za-z0-9_-]{43};/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, /Path=\//);
      assert.doesNotMatch(cookie, /Secure/, 'not over plain HTTP');
      const body = response.json();
      assert.equal(body.account.username, 'ada.tinderbox');
      assert.equal(body.account.role, 'teacher');
      assert.ok(body.permissions.includes('overrides.grant.own-classes'));
      assert.ok(!body.permissions.includes('activity.read.staff'));
      const me = await browser.request('GET', '/api/session');
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().csrfToken, body.csrfToken);
      await f.close();
    });

    it('a wrong password and an unknown username get the same 401 answer', async () => {
      const f = await fresh();
      const wrong = await new Browser(f).signIn('ada.tinderbox', 'not the password');
      const unknown = await new Browser(f).signIn('nobody.here', 'not the password');
      assert.equal(wrong.statusCode, 401);
      assert.equal(unknown.statusCode, 401);
      assert.deepEqual(wrong.json(), unknown.json());
      assert.equal(wrong.json().error.code, 'HR_AUTH_SIGN_IN_FAILED');
      assert.equal(wrong.headers['set-cookie'], undefined);
      await f.close();
    });

    it('after repeated failures sign-in is throttled with Retry-After, even for the right password, until the wait is over', async () => {
      const f = await fresh();
      const browser = new Browser(f, '192.0.2.10');
      for (let i = 0; i < 4; i++) assert.equal((await browser.signIn('ada.tinderbox', `guess number ${i}`)).statusCode, 401);
      const throttled = await browser.signIn('ada.tinderbox', PASSWORD);
      assert.equal(throttled.statusCode, 429);
      assert.equal(throttled.json().error.code, 'HR_AUTH_THROTTLED');
      assert.equal(throttled.headers['retry-after'], '60');
      // another account at another address is not held up
      assert.equal((await new Browser(f, '192.0.2.11').signIn('marjorie.wychwood', PASSWORD)).statusCode, 200);
      f.clock.now += MINUTE;
      assert.equal((await browser.signIn('ada.tinderbox', PASSWORD)).statusCode, 200);
      await f.close();
    });

    it('signing in ends the session the browser already had, so a planted cookie is dead afterwards', async () => {
      const f = await fresh();
      const attacker = new Browser(f);
      await attacker.signIn('marjorie.wychwood', PASSWORD);
      const planted = attacker.cookie!;
      const victim = new Browser(f);
      victim.cookie = planted;
      const response = await victim.signIn('ada.tinderbox', PASSWORD);
      assert.equal(response.statusCode, 200);
      assert.notEqual(victim.cookie, planted, 'a new session id after sign-in');
      attacker.cookie = planted;
      const old = await attacker.request('GET', '/api/session');
      assert.equal(old.statusCode, 401);
      assert.equal(old.json().error.code, 'HR_API_SIGNED_OUT');
      assert.equal((await victim.request('GET', '/api/session')).json().account.username, 'ada.tinderbox');
      await f.close();
    });

    it('a state-changing request without the CSRF header, or with a wrong one, is refused with 403', async () => {
      const f = await fresh();
      const browser = new Browser(f);
      await browser.signIn('marjorie.wychwood', PASSWORD);
      const body = { username: 'ben.quayle', displayName: 'Benedict Quayle', role: 'teacher', password: 'Curlew-Moss-Lantern', reason: 'new teacher' };
      const missing = await browser.request('POST', '/api/accounts', body, { 'x-csrf-token': '' });
      assert.equal(missing.statusCode, 403);
      assert.equal(missing.json().error.code, 'HR_API_CSRF');
      const wrong = await browser.request('POST', '/api/accounts', body, { 'x-csrf-token': 'A'.repeat(43) });
      assert.equal(wrong.statusCode, 403);
      const other = new Browser(f);
      await other.signIn('marjorie.wychwood', PASSWORD);
      const crossed = await browser.request('POST', '/api/accounts', body, { 'x-csrf-token': other.csrf! });
      assert.equal(crossed.statusCode, 403, "another session's token does not do");
      assert.equal((await f.deps.auth!.accounts.byUsername('ben.quayle')), null, 'nothing was created');
      const right = await browser.request('POST', '/api/accounts', body);
      assert.equal(right.statusCode, 201, right.body);
      await f.close();
    });

    it('a session idle for 15 minutes is signed out; one used every 14 minutes is not (6.16)', async () => {
      const f = await fresh();
      const busy = new Browser(f);
      const idle = new Browser(f);
      await busy.signIn('ada.tinderbox', PASSWORD);
      await idle.signIn('marjorie.wychwood', PASSWORD);
      for (let i = 0; i < 3; i++) {
        f.clock.now += 14 * MINUTE;
        assert.equal((await busy.request('GET', '/api/session')).statusCode, 200, `after ${(i + 1) * 14} minutes`);
      }
      const ended = await idle.request('GET', '/api/session');
      assert.equal(ended.statusCode, 401);
      assert.equal(ended.json().error.code, 'HR_API_SIGNED_OUT');
      assert.match(String(ended.headers['set-cookie']), /hedgerow_session=;/, 'the stale cookie is cleared');
      await f.close();
    });

    it('sign-out ends this session only; sign-out everywhere ends every session of the account', async () => {
      const f = await fresh();
      const [laptop, tablet, phone] = [new Browser(f), new Browser(f), new Browser(f)];
      for (const b of [laptop, tablet, phone]) await b.signIn('marjorie.wychwood', PASSWORD);
      const colleague = new Browser(f);
      await colleague.signIn('ada.tinderbox', PASSWORD);
      assert.equal((await phone.request('DELETE', '/api/session')).statusCode, 204);
      assert.equal((await phone.request('GET', '/api/session')).statusCode, 401);
      assert.equal((await laptop.request('GET', '/api/session')).statusCode, 200);
      const everywhere = await laptop.request('DELETE', '/api/sessions');
      assert.equal(everywhere.statusCode, 200);
      assert.deepEqual(everywhere.json(), { ended: 2 });
      assert.equal((await laptop.request('GET', '/api/session')).statusCode, 401);
      assert.equal((await tablet.request('GET', '/api/session')).statusCode, 401);
      assert.equal((await colleague.request('GET', '/api/session')).statusCode, 200, "a colleague's session is untouched");
      await f.close();
    });

    it('changing one’s own password needs the current one, ends the other sessions and is audited', async () => {
      const f = await fresh();
      const here = new Browser(f);
      const elsewhere = new Browser(f);
      await here.signIn('ada.tinderbox', PASSWORD);
      await elsewhere.signIn('ada.tinderbox', PASSWORD);
      const wrong = await here.request('POST', '/api/account/password', { current: 'not it at all', next: 'Heron-Willow-Stile' });
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().error.code, 'HR_AUTH_CURRENT_PASSWORD');
      const weak = await here.request('POST', '/api/account/password', { current: PASSWORD, next: 'short' });
      assert.equal(weak.json().error.code, 'HR_AUTH_PASSWORD_RULE');
      const changed = await here.request('POST', '/api/account/password', { current: PASSWORD, next: 'Heron-Willow-Stile' });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual(changed.json(), { endedSessions: 1 });
      assert.equal((await here.request('GET', '/api/session')).statusCode, 200);
      assert.equal((await elsewhere.request('GET', '/api/session')).statusCode, 401);
      assert.equal((await new Browser(f).signIn('ada.tinderbox', PASSWORD)).statusCode, 401);
      assert.equal((await new Browser(f).signIn('ada.tinderbox', 'Heron-Willow-Stile')).statusCode, 200);
      const entries = await f.deps.audit.entries();
      const entry = entries.find((e) => e.action === 'account.password');
      assert.equal(entry?.actor, 'ada.tinderbox');
      assert.equal(entry?.subject, 'account:ada.tinderbox');
      assert.ok(!JSON.stringify(entries).includes('Heron-Willow-Stile'));
      assert.ok(!JSON.stringify(entries).includes('$argon2id'));
      await f.close();
    });
  });
}
