// Settings: enforcement points, retention from the policy, and alert recipients kept in the
// `settings` table with every change audited (issue 4 §3: changes to settings are audited).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { settingsRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { featureFixture, type FeatureFixture } from './feature-fixture.ts';

describe('settings routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;

  before(async () => {
    f = await featureFixture();
    api = await routeHarness(settingsRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const manager = () => f.account('olive.stonechat', 'network-manager');

  it('shows the enforcement points with their configured address, and retention from the policy', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/settings', as: manager() });
    assert.equal(status, 200);
    assert.deepEqual(body.points[0], { name: 'proxy', enabled: true, listening: '127.0.0.1:3128', healthy: true, configured: { host: '127.0.0.1', port: 3128 } });
    assert.deepEqual(body.retention, { decisions: '365d', quarantine: '30d', incidents: '6y' });
    assert.deepEqual(body.alertRecipients, []);
  });

  it('stores alert recipients, reads them back and audits the change with before and after', async () => {
    const recipients = [{ address: 'Esafety@School.Example', name: 'E-safety team', alerts: ['circumvention', 'unblock-request'] }];
    const put = await api.json({ method: 'PUT', url: '/api/settings/alerts', as: manager(), body: { recipients, reason: 'new e-safety inbox' } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.alertRecipients, [{ address: 'esafety@school.example', name: 'E-safety team', alerts: ['circumvention', 'unblock-request'] }]);
    const { body } = await api.json({ method: 'GET', url: '/api/settings', as: manager() });
    assert.deepEqual(body.alertRecipients, put.body.alertRecipients);
    const entry = (await f.deps.audit.entries({ limit: 1000 })).at(-1)!;
    assert.equal(entry.action, 'settings.change');
    assert.equal(entry.subject, 'setting:alert-recipients');
    assert.deepEqual(entry.before, []);
    assert.deepEqual(entry.after, put.body.alertRecipients);
    assert.equal(entry.reason, 'new e-safety inbox');

    await api.json({ method: 'PUT', url: '/api/settings/alerts', as: manager(), body: { recipients: [] } });
    const second = (await f.deps.audit.entries({ limit: 1000 })).at(-1)!;
    assert.deepEqual(second.before, put.body.alertRecipients);
    assert.equal(await f.deps.audit.verify(), null);
  });

  it('refuses an address that is not an e-mail address and an unknown alert kind, naming both', async () => {
    const { status, body } = await api.json({ method: 'PUT', url: '/api/settings/alerts', as: manager(), body: { recipients: [{ address: 'not-an-address', alerts: ['fire'] }] } });
    assert.equal(status, 400);
    const fields = (body.error.problems as Array<{ field: string }>).map((p) => p.field).sort();
    assert.deepEqual(fields, ['body.recipients.0.address', 'body.recipients.0.alerts.0']);
  });

  it('a teacher may not read or change settings', async () => {
    const teacher = f.account('desmond.nightingale', 'teacher', ['class-4n']);
    assert.equal((await api.json({ method: 'GET', url: '/api/settings', as: teacher })).status, 403);
    assert.equal((await api.json({ method: 'PUT', url: '/api/settings/alerts', as: teacher, body: { recipients: [] } })).status, 403);
  });
});
