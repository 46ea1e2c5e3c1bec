// The alerts API through the route harness: the list with its filters and counts, one alert with
// its events and deliveries (the view audited), acknowledging and closing (audited, with their
// errors), and the permission gate for every role of the reference policy.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { alertRoutes, AlertStore, AlertWatcher, AlertDigest } from '../../src/cases/index.ts';
import { openApiDocument, openApiPath, type ApiDeps } from '../../src/api/index.ts';
import { AuditLog } from '../../src/db/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { NotificationCenter, notificationRoutes } from '../../src/notify/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';
import { routeHarness, type TestAccount } from '../support/route-harness.ts';
import { referencePeople, referencePolicy, useDialect } from '../notify/fixture.ts';
import { desmond, eventFor, mabel, stanley } from './alert-fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const dsl: TestAccount = { username: 'nigel.applegarth', role: 'safeguarding-lead', can: ['alerts.read', 'session.self'] };
const teacher: TestAccount = { username: 'desmond.nightingale', role: 'teacher', can: ['session.self'] };

describe('the alerts API', () => {
  const stores = useDialect('sqlite');
  const policy = referencePolicy();
  let people: PeopleStore | null = null;
  after(() => people?.close());

  async function fresh() {
    const store = await stores.fresh();
    people?.close();
    people = referencePeople(stores.tmp());
    const audit = new AuditLog(store, { now: () => T0 });
    const alerts = new AlertStore(store, { now: () => T0 });
    const center = new NotificationCenter({ store, people, mail: false, now: () => T0 });
    const watcher = new AlertWatcher({ store: alerts, notifier: center, policy: () => policy, now: () => T0 });
    const digest = new AlertDigest({ store: alerts, notifier: center, policy: () => policy, now: () => T0 });
    watcher.note(eventFor(mabel, 'http://harm.example/', T0 - 3_000));
    watcher.note(eventFor(mabel, 'http://harm.example/again', T0 - 2_000));
    watcher.note(eventFor(stanley, 'https://search.example/', T0 - 1_000, { searchTerm: 'everyone hates you' }));
    watcher.note(eventFor(desmond, 'http://legal.example/', T0));
    await watcher.idle();
    const deps = { db: store, audit, engine: () => ({ policy }), people, now: () => T0 } as unknown as ApiDeps;
    const harness = await routeHarness(alertRoutes(deps, { alerts, notifications: center, digest }));
    return { harness, audit, alerts };
  }

  it('lists open alerts newest first with the person’s name, titles and the open counts', async () => {
    const { harness } = await fresh();
    const { status, body } = await harness.json({ method: 'GET', url: '/api/alerts', as: dsl });
    assert.equal(status, 200);
    assert.deepEqual(
      body.items.map((a: { kind: string; subjectTitle: string; personName: string; count: number }) => [a.kind, a.subjectTitle, a.personName, a.count]),
      [
        ['rule', 'rule council-legal-lists', 'Desmond Nightingale', 1],
        ['keyword', 'Bullying', 'Stanley Burdock', 1],
        ['category', 'Self-harm and suicide', 'Mabel Foxglove', 2],
      ],
    );
    assert.deepEqual(body.counts, { new: 3, acknowledged: 0 });
    const filtered = await harness.json({ method: 'GET', url: '/api/alerts?kind=keyword&group=class-6s', as: dsl });
    assert.deepEqual(filtered.body.items.map((a: { subject: string }) => a.subject), ['bullying']);
    const bad = await harness.json({ method: 'GET', url: `/api/alerts?from=${T0}&to=${T0 - 1}`, as: dsl });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'HR_ALERTS_INPUT']);
    assert.equal((await harness.json({ method: 'GET', url: '/api/alerts?state=lost', as: dsl })).status, 400);
    await harness.close();
  });

  it('shows one alert with its events and how its notification was delivered, and audits the view', async () => {
    const { harness, audit } = await fresh();
    const list = await harness.json({ method: 'GET', url: '/api/alerts?kind=category', as: dsl });
    const id = list.body.items[0].id as string;
    const { status, body } = await harness.json({ method: 'GET', url: `/api/alerts/${id}`, as: dsl });
    assert.equal(status, 200);
    assert.equal(body.alert.person, 'mabel.foxglove');
    assert.deepEqual(body.events.map((e: { host: string }) => e.host), ['harm.example', 'harm.example']);
    assert.deepEqual(body.deliveries.map((d: { username: string; mailStatus: string }) => [d.username, d.mailStatus]), [['nigel.applegarth', 'none']]);
    const entries = await audit.entries();
    const view = entries.find((e) => e.action === 'alerts.view');
    assert.deepEqual([view?.actor, view?.subject], ['nigel.applegarth', `alert:${id}`]);
    const missing = await harness.json({ method: 'GET', url: '/api/alerts/al-nothing', as: dsl });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'HR_ALERTS_NOT_FOUND']);
    await harness.close();
  });

  it('acknowledges, then closes with a note, each audited; the wrong order or no note is refused', async () => {
    const { harness, audit } = await fresh();
    const id = (await harness.json({ method: 'GET', url: '/api/alerts?kind=keyword', as: dsl })).body.items[0].id as string;
    const ack = await harness.json({ method: 'POST', url: `/api/alerts/${id}/acknowledge`, as: dsl, body: { note: 'looking into it' } });
    assert.deepEqual([ack.status, ack.body.state, ack.body.acknowledgedBy], [200, 'acknowledged', 'nigel.applegarth']);
    const again = await harness.json({ method: 'POST', url: `/api/alerts/${id}/acknowledge`, as: dsl, body: {} });
    assert.deepEqual([again.status, again.body.error.code], [409, 'HR_ALERTS_STATE']);
    const noNote = await harness.json({ method: 'POST', url: `/api/alerts/${id}/close`, as: dsl, body: { note: ' ' } });
    assert.deepEqual([noNote.status, noNote.body.error.code], [400, 'HR_ALERTS_INPUT']);
    const closed = await harness.json({ method: 'POST', url: `/api/alerts/${id}/close`, as: dsl, body: { note: 'Spoke to the class; bullying plan opened.' } });
    assert.deepEqual([closed.status, closed.body.state, closed.body.closeNote], [200, 'closed', 'Spoke to the class; bullying plan opened.']);
    const counts = await harness.json({ method: 'GET', url: '/api/alerts/counts', as: dsl });
    assert.deepEqual(counts.body, { new: 2, acknowledged: 0 });
    const handled = (await audit.entries()).filter((e) => e.action === 'alerts.acknowledge' || e.action === 'alerts.close');
    assert.deepEqual(
      handled.map((e) => [e.action, (e.before as { state: string }).state, (e.after as { state: string }).state, e.reason]),
      [
        ['alerts.acknowledge', 'new', 'acknowledged', 'looking into it'],
        ['alerts.close', 'acknowledged', 'closed', 'Spoke to the class; bullying plan opened.'],
      ],
    );
    assert.equal(await audit.verify(), null, 'the audit chain is whole');
    await harness.close();
  });

  it('says when the digest is next due', async () => {
    const { harness } = await fresh();
    const { body } = await harness.json({ method: 'GET', url: '/api/alerts/digest', as: dsl });
    assert.deepEqual(body, { nextRun: Date.parse('2026-11-30T07:30:00Z'), last: null });
    await harness.close();
  });

  it('is closed to an account without alerts.read', async () => {
    const { harness } = await fresh();
    for (const url of ['/api/alerts', '/api/alerts/counts', '/api/alerts/al-x']) {
      const answer = await harness.json({ method: 'GET', url, as: teacher });
      assert.deepEqual([answer.status, answer.body.error.code], [403, 'HR_API_FORBIDDEN'], url);
    }
    await harness.close();
  });

  it('the alert and inbox routes are described in the OpenAPI document with their actions', () => {
    const deps = new Proxy({} as ApiDeps, { get: () => { throw new Error('the route list is built without touching its dependencies'); } });
    const routes = [...alertRoutes(deps, { alerts: {} as AlertStore }), ...notificationRoutes(deps, { notifications: {} as NotificationCenter })];
    const document = openApiDocument(routes);
    for (const route of routes) {
      const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] as { 'x-hedgerow-action'?: string } | undefined;
      assert.equal(operation?.['x-hedgerow-action'], route.action, `${route.method} ${route.url}`);
    }
  });

  it('every role of the reference policy meets the gate its access section sets', async () => {
    const deps = new Proxy({} as ApiDeps, { get: () => { throw new Error('the route list is built without touching its dependencies'); } });
    const routes = alertRoutes(deps, { alerts: {} as AlertStore });
    const report = await checkPermissionMatrix(routes, policy);
    assert.deepEqual(report.mismatches, []);
    assert.ok(report.checked >= routes.length * 10);
  });
});
