// The inbox and outbox API through the route harness: each account sees and marks only its own
// notifications; the unread count for the navigation; failed mail listed with its error for the
// people who look after settings, and sent again on request (audited).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ApiDeps } from '../../src/api/index.ts';
import { AuditLog } from '../../src/db/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { MailOutbox, NotificationCenter, notificationRoutes } from '../../src/notify/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';
import { routeHarness, type TestAccount } from '../support/route-harness.ts';
import { ManualTimers, RecordingTransport, referencePeople, referencePolicy, useDialect } from './fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const jonah: TestAccount = { username: 'jonah.birchwood', role: 'esafety-team', can: ['session.self', 'settings.read'] };
const nigel: TestAccount = { username: 'nigel.applegarth', role: 'safeguarding-lead', can: ['session.self'] };
const olive: TestAccount = { username: 'olive.stonechat', role: 'network-manager', can: ['session.self', 'settings.read', 'settings.edit'] };

describe('the inbox and outbox API', () => {
  const stores = useDialect('sqlite');
  let people: PeopleStore | null = null;
  after(() => people?.close());

  async function fresh() {
    const store = await stores.fresh();
    people?.close();
    people = referencePeople(stores.tmp());
    const clock = { now: T0 };
    const audit = new AuditLog(store, { now: () => clock.now });
    const transport = new RecordingTransport();
    const outbox = new MailOutbox({ store, transport, from: 'hedgerow@school.invalid', now: () => clock.now, retry: { maxAttempts: 1, firstDelayMs: 1000, maxDelayMs: 1000 }, timers: new ManualTimers() });
    const center = new NotificationCenter({ store, people, mail: true, now: () => clock.now, roleSets: () => referencePolicy().roleSets });
    const deps = { db: store, audit, now: () => clock.now } as unknown as ApiDeps;
    const harness = await routeHarness(notificationRoutes(deps, { notifications: center, outbox }));
    return { harness, center, outbox, transport, audit, clock };
  }

  it('lists your own notifications with the unread count, and marks them read', async () => {
    const { harness, center, clock } = await fresh();
    await center.notify({ kind: 'request.new', to: [{ role: 'esafety-team' }], subject: 'A request to review', text: 'T', link: '#/requests?id=r1' });
    clock.now += 1000;
    await center.notify({ kind: 'alert.digest', to: [{ role: 'esafety-team' }], subject: 'Weekly digest', text: 'T' });
    await center.notify({ kind: 'alert.category', to: [{ role: 'safeguarding-lead' }], subject: 'For Nigel only', text: 'T' });

    const mine = await harness.json({ method: 'GET', url: '/api/inbox', as: jonah });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.items.map((i: { subject: string }) => i.subject), ['Weekly digest', 'A request to review']);
    assert.equal(mine.body.unread, 2);
    assert.deepEqual((await harness.json({ method: 'GET', url: '/api/inbox/unread', as: jonah })).body, { unread: 2 });

    const first = mine.body.items[1].id as string;
    const read = await harness.json({ method: 'POST', url: `/api/inbox/${first}/read`, as: jonah });
    assert.deepEqual([read.status, read.body.readAt, read.body.link], [200, clock.now, '#/requests?id=r1']);
    const unread = await harness.json({ method: 'GET', url: '/api/inbox?state=unread', as: jonah });
    assert.deepEqual(unread.body.items.map((i: { subject: string }) => i.subject), ['Weekly digest']);

    const notYours = await harness.json({ method: 'POST', url: `/api/inbox/${first}/read`, as: nigel });
    assert.deepEqual([notYours.status, notYours.body.error.code], [404, 'HR_NOTIFY_NOT_FOUND']);
    const all = await harness.json({ method: 'POST', url: '/api/inbox/read-all', as: jonah });
    assert.deepEqual(all.body, { marked: 1, unread: 0 });
    assert.deepEqual((await harness.json({ method: 'GET', url: '/api/inbox/unread', as: nigel })).body, { unread: 1 });
    await harness.close();
  });

  it('shows failed mail with its error to settings readers, and sends it again for settings editors (audited)', async () => {
    const { harness, center, outbox, transport, audit } = await fresh();
    transport.failNext = 1;
    await center.notify({ kind: 'compliance.check', to: [{ person: 'olive.stonechat' }], subject: 'Filter check failed', text: 'T' });
    await outbox.runOnce();
    const shown = await harness.json({ method: 'GET', url: '/api/notifications/outbox', as: jonah });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.configured, true);
    assert.equal(shown.body.counts.failed, 1);
    assert.match(shown.body.items[0].lastError, /^ESOCKET: /);
    assert.match(shown.body.lastError, /^ESOCKET: /);
    const id = shown.body.items[0].id as string;

    const refused = await harness.json({ method: 'POST', url: `/api/notifications/outbox/${id}/retry`, as: jonah, body: {} });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'HR_API_FORBIDDEN']);
    const retried = await harness.json({ method: 'POST', url: `/api/notifications/outbox/${id}/retry`, as: olive, body: { reason: 'relay fixed' } });
    assert.deepEqual(retried.body, { id, mailStatus: 'pending' });
    const twice = await harness.json({ method: 'POST', url: `/api/notifications/outbox/${id}/retry`, as: olive, body: {} });
    assert.deepEqual([twice.status, twice.body.error.code], [409, 'HR_NOTIFY_STATE']);
    assert.equal((await outbox.runOnce()).sent, 1);
    const entry = (await audit.entries()).find((e) => e.action === 'notify.retry');
    assert.deepEqual([entry?.actor, entry?.subject, entry?.reason], ['olive.stonechat', `notification-delivery:${id}`, 'relay fixed']);
    await harness.close();
  });

  it('every role of the reference policy meets the gate its access section sets', async () => {
    const deps = new Proxy({} as ApiDeps, { get: () => { throw new Error('the route list is built without touching its dependencies'); } });
    const routes = notificationRoutes(deps, { notifications: {} as NotificationCenter });
    const report = await checkPermissionMatrix(routes, referencePolicy());
    assert.deepEqual(report.mismatches, []);
  });
});
