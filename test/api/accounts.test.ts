// Dashboard accounts through the API: every change audited with who, before, after and why; the
// last administrator cannot be removed; a disabled account is signed out at once; the first
// administrator comes from the one-time setup token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { coreRoutes } from '../../src/api/index.ts';
import { ensureSetupToken, setupLink } from '../../src/auth/index.ts';
import { addAccount, apiFixture, Browser, type ApiFixture } from './fixture.ts';

const PASSWORD = 'correct horse battery';

describe('accounts', () => {
  let f: ApiFixture;
  let head: Browser;
  before(async () => {
    f = await apiFixture(coreRoutes);
    await addAccount(f, 'marjorie.wychwood', 'headteacher');
    await addAccount(f, 'ada.tinderbox', 'teacher');
    head = new Browser(f);
    await head.signIn('marjorie.wychwood', PASSWORD);
  });
  after(() => f.close());

  it('an administrator adds an account and the audit log records who, what and why, never the password', async () => {
    const response = await head.request('POST', '/api/accounts', {
      username: 'Olive.Stonechat',
      displayName: 'Olive Stonechat',
      role: 'network-manager',
      password: 'Stonechat-Gorse-Flint',
      reason: 'new network manager',
    });
    assert.equal(response.statusCode, 201, response.body);
    const view = response.json();
    assert.equal(view.username, 'olive.stonechat');
    assert.equal(view.signIn, 'password');
    assert.equal('password_hash' in view || 'passwordHash' in view, false);
    const entries = (await head.request('GET', '/api/audit?subject=account:olive.stonechat')).json().items;
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor, 'marjorie.wychwood');
    assert.equal(entries[0].action, 'account.add');
    assert.equal(entries[0].reason, 'new network manager');
    assert.equal(entries[0].before, null);
    assert.equal(entries[0].after.role, 'network-manager');
    assert.ok(!JSON.stringify(entries).includes('Stonechat-Gorse-Flint'));
    assert.equal((await new Browser(f).signIn('olive.stonechat', 'Stonechat-Gorse-Flint')).statusCode, 200);
  });

  it('a role the policy does not define and a taken username are refused, naming the field', async () => {
    const wizard = await head.request('POST', '/api/accounts', { username: 'merlin', displayName: 'Merlin', role: 'wizard', password: 'Kestrel-Meadow-Lantern', reason: 'x' });
    assert.equal(wizard.statusCode, 400);
    assert.equal(wizard.json().error.code, 'HR_AUTH_ACCOUNT_INPUT');
    assert.deepEqual(wizard.json().error.problems.map((p: { field: string }) => p.field), ['role']);
    const taken = await head.request('POST', '/api/accounts', { username: 'ADA.TINDERBOX', displayName: 'Ada', role: 'teacher', reason: 'x' });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json().error.code, 'HR_AUTH_ACCOUNT_EXISTS');
  });

  it('every problem of a bad request is named with its field', async () => {
    const response = await head.request('POST', '/api/accounts', { username: '', role: 7, password: 'x'.repeat(2000), extra: true });
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.equal(error.code, 'HR_API_INPUT');
    const byField = Object.fromEntries(error.problems.map((p: { field: string; message: string }) => [p.field, p.message]));
    assert.deepEqual(Object.keys(byField).sort(), ['body', 'displayName', 'password', 'reason', 'role', 'username']);
    assert.equal(byField.displayName, 'is required');
    assert.equal(byField.role, 'must be a string');
    assert.equal(byField.password, 'must have at most 1024 characters');
    assert.match(byField.body, /unknown field `extra`/);
    const patch = await head.request('PATCH', '/api/accounts/some-id', { reason: 'nothing to change' });
    assert.equal(patch.statusCode, 400);
    assert.match(patch.json().error.message, /at least one of displayName, role, disabled or password/);
  });

  it('disabling an account ends its sessions at once, is audited with before and after, and re-enabling lets it back in', async () => {
    const ada = new Browser(f);
    await ada.signIn('ada.tinderbox', PASSWORD);
    const id = (await f.deps.auth!.accounts.byUsername('ada.tinderbox'))!.id;
    const response = await head.request('PATCH', `/api/accounts/${id}`, { disabled: true, reason: 'left the school' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().disabled, true);
    assert.equal((await ada.request('GET', '/api/session')).statusCode, 401);
    assert.equal((await new Browser(f).signIn('ada.tinderbox', PASSWORD)).statusCode, 401);
    const entry = (await head.request('GET', '/api/audit?subject=account:ada.tinderbox&limit=1')).json().items[0];
    assert.equal(entry.action, 'account.update');
    assert.equal(entry.before.disabled, false);
    assert.equal(entry.after.disabled, true);
    assert.equal(entry.reason, 'left the school');
    await head.request('PATCH', `/api/accounts/${id}`, { disabled: false, reason: 'came back' });
    assert.equal((await new Browser(f).signIn('ada.tinderbox', PASSWORD)).statusCode, 200);
  });

  it('an administrator’s password reset ends the account’s sessions', async () => {
    const ada = new Browser(f);
    await ada.signIn('ada.tinderbox', PASSWORD);
    const id = (await f.deps.auth!.accounts.byUsername('ada.tinderbox'))!.id;
    const response = await head.request('PATCH', `/api/accounts/${id}`, { password: 'Reset-Hedge-Sparrow', reason: 'forgot it' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((await ada.request('GET', '/api/session')).statusCode, 401);
    assert.equal((await new Browser(f).signIn('ada.tinderbox', 'Reset-Hedge-Sparrow')).statusCode, 200);
    await f.deps.auth!.accounts.setPassword(id, PASSWORD, { actor: 'test', reason: 'put back' });
  });

  it('the last enabled account that may manage accounts cannot be disabled or demoted', async () => {
    const me = (await f.deps.auth!.accounts.byUsername('marjorie.wychwood'))!.id;
    for (const change of [{ disabled: true }, { role: 'teacher' }]) {
      const response = await head.request('PATCH', `/api/accounts/${me}`, { ...change, reason: 'try' });
      assert.equal(response.statusCode, 409);
      assert.equal(response.json().error.code, 'HR_AUTH_LAST_ADMIN');
    }
    assert.equal((await head.request('GET', '/api/session')).statusCode, 200);
  });

  it('an unknown account id is 404', async () => {
    const response = await head.request('PATCH', '/api/accounts/no-such-id', { displayName: 'Nobody', reason: 'x' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, 'HR_AUTH_UNKNOWN_ACCOUNT');
  });

  it('the audit log pages newest first with an opaque cursor and its chain verifies', async () => {
    const first = (await head.request('GET', '/api/audit?limit=2')).json();
    assert.equal(first.items.length, 2);
    assert.ok(first.items[0].seq > first.items[1].seq);
    assert.ok(first.nextCursor);
    const second = (await head.request('GET', `/api/audit?limit=2&cursor=${first.nextCursor}`)).json();
    assert.ok(second.items[0].seq < first.items[1].seq);
    const all = (await head.request('GET', '/api/audit?limit=500')).json();
    assert.equal(all.nextCursor, null);
    assert.deepEqual(all.items.map((e: { seq: number }) => e.seq), [...Array(all.items.length)].map((_, i) => all.items.length - i));
    assert.deepEqual((await head.request('GET', '/api/audit/verify')).json(), { ok: true, brokenAt: null, checkedAt: f.clock.now });
    const bad = await head.request('GET', '/api/audit?limit=0&from=yesterday');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().error.problems.map((p: { field: string }) => p.field).sort(), ['from', 'limit']);
  });

  it('the access route gives the matrix of the policy in force and the monitoring purposes', async () => {
    const body = (await head.request('GET', '/api/access')).json();
    const governor = body.roles.find((r: { role: string }) => r.role === 'governor');
    assert.deepEqual(governor.actions, ['session.self', 'policy.read', 'reports.aggregate', 'compliance.self', 'reports.governors']);
    assert.equal(governor.title, 'Governor');
    assert.ok(body.actions.some((a: { name: string; description: string }) => a.name === 'accounts.manage' && a.description.length > 0));
    assert.deepEqual(body.monitoringPurposes.map((p: { id: string }) => p.id), ['business-communications', 'standards-and-training', 'crime', 'unauthorised-use']);
  });
});

describe('the first administrator', () => {
  it('a fresh install gets a one-time link; the token creates a headteacher once and signs them in', async () => {
    const f = await apiFixture(coreRoutes);
    try {
      const browser = new Browser(f);
      assert.deepEqual((await browser.request('GET', '/api/setup')).json(), { needed: true });
      const stale = await ensureSetupToken(f.store, f.clock.now);
      const token = await ensureSetupToken(f.store, f.clock.now);
      assert.ok(stale && token && stale !== token);
      assert.equal(setupLink('http://127.0.0.1:8080/', token), `http://127.0.0.1:8080/dashboard/#/setup?token=${token}`);
      const body = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', password: 'Wych-Elm-Lantern' };
      const old = await browser.request('POST', '/api/setup', { ...body, token: stale });
      assert.equal(old.statusCode, 403, 'a newer token replaces an older one');
      assert.equal(old.json().error.code, 'HR_AUTH_SETUP_TOKEN');
      const weak = await browser.request('POST', '/api/setup', { ...body, password: 'short', token });
      assert.equal(weak.json().error.code, 'HR_AUTH_PASSWORD_RULE');
      const made = await browser.request('POST', '/api/setup', { ...body, token });
      assert.equal(made.statusCode, 201, made.body);
      assert.equal(made.json().account.role, 'headteacher');
      assert.ok(made.json().permissions.includes('accounts.manage'));
      assert.equal((await browser.request('GET', '/api/session')).json().account.username, 'marjorie.wychwood');
      const again = await new Browser(f).request('POST', '/api/setup', { ...body, username: 'intruder', token });
      assert.equal(again.statusCode, 403);
      assert.deepEqual((await browser.request('GET', '/api/setup')).json(), { needed: false });
      assert.equal(await ensureSetupToken(f.store, f.clock.now), null, 'no token once an account exists');
      const entry = (await f.deps.audit.entries()).find((e) => e.action === 'account.add');
      assert.equal(entry?.actor, 'setup');
      assert.match(entry?.reason ?? '', /setup link/);
    } finally {
      await f.close();
    }
  });

  it('a setup token expires after a day', async () => {
    const f = await apiFixture(coreRoutes);
    try {
      const token = (await ensureSetupToken(f.store, f.clock.now))!;
      f.clock.now += 24 * 3_600_000;
      const response = await new Browser(f).request('POST', '/api/setup', { token, username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', password: 'Wych-Elm-Lantern' });
      assert.equal(response.statusCode, 403);
    } finally {
      await f.close();
    }
  });

  it('the setup form must be JSON, so a form on another site cannot post it', async () => {
    const f = await apiFixture(coreRoutes);
    try {
      const token = (await ensureSetupToken(f.store, f.clock.now))!;
      const form = `token=${token}&username=intruder&displayName=Intruder&password=Intruder-Password-1`;
      const response = await new Browser(f).request('POST', '/api/setup', form, { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(response.statusCode, 415);
      assert.equal(response.json().error.code, 'HR_API_MEDIA_TYPE');
      const signIn = await new Browser(f).request('POST', '/api/session', 'username=a&password=b', { 'content-type': 'text/plain' });
      assert.equal(signIn.statusCode, 415);
    } finally {
      await f.close();
    }
  });
});
