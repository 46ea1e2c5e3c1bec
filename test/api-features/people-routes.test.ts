// People and devices from the dashboard: roster import through the same importer as the CLI
// (all rows or none, every problem with its line), search, devices, networks; changes audited.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peopleRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { featureFixture, type FeatureFixture } from './feature-fixture.ts';

describe('people routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;

  before(async () => {
    f = await featureFixture();
    api = await routeHarness(peopleRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const manager = () => f.account('olive.stonechat', 'network-manager');
  const csv = (text: string) => ({ payload: text, contentType: 'text/csv' });

  it('imports a roster CSV and audits the import', async () => {
    const roster = 'name,username,role,year group,date of birth,groups\nPip Quayside,pip.quayside,pupil,Year 3,2018-11-02,class-3t\nAda Tinderbox,ada.tinderbox,teacher,,,class-1t\n';
    const { status, body } = await api.json({ method: 'POST', url: '/api/people/import', as: manager(), raw: csv(roster) });
    assert.equal(status, 200);
    assert.deepEqual(body, { imported: 1, updated: 1, problems: [] });
    assert.deepEqual(f.deps.people.get('pip.quayside')?.groups, ['year-3', 'class-3t']);
    const entry = (await f.deps.audit.entries({ limit: 100 })).at(-1)!;
    assert.deepEqual([entry.actor, entry.action, entry.after], ['olive.stonechat', 'people.import', { imported: 1, updated: 1 }]);
  });

  it('a roster with bad rows imports nothing and names each problem with its line', async () => {
    const roster = 'name,username,role,year group,date of birth\nTess Brook,tess.brook,pupil,Year 9,2018-01-01\nSam Reed,sam.reed,wizard,,\nOk Pupil,ok.pupil,pupil,Year 2,2019-05-05\n';
    const { status, body } = await api.json({ method: 'POST', url: '/api/people/import', as: manager(), raw: csv(roster) });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'HR_IDENTITY_ROSTER');
    const fields = (body.error.problems as Array<{ field: string }>).map((p) => p.field);
    assert.deepEqual(fields, ['line 2: year group', 'line 3: role']);
    assert.equal(f.deps.people.get('ok.pupil'), null, 'nothing is imported when any row is bad');
  });

  it('searches people by name, group and role, with paging, and never shows a date of birth', async () => {
    const byName = await api.json({ method: 'GET', url: '/api/people?q=tumble', as: manager() });
    assert.deepEqual(byName.body.items.map((p: { username: string }) => p.username), ['nancy.tumbledown']);
    assert.equal('dateOfBirth' in byName.body.items[0], false);
    const first = await api.json({ method: 'GET', url: '/api/people?group=class-4n&role=pupil&limit=3', as: manager() });
    assert.equal(first.body.items.length, 3);
    const rest = await api.json({ method: 'GET', url: `/api/people?group=class-4n&role=pupil&limit=3&cursor=${first.body.nextCursor}`, as: manager() });
    const all = [...first.body.items, ...rest.body.items].map((p: { username: string }) => p.username);
    assert.deepEqual(all, ['arlo.puddingstone', 'eli.gorsewood', 'florence.oakhollow', 'louie.kestrelby', 'matilda.sloeberry']);
    assert.equal(rest.body.nextCursor, null);
  });

  it('registers, lists and removes a device, auditing each change', async () => {
    const added = await api.json({ method: 'POST', url: '/api/devices', as: manager(), body: { device: 'AA-BB-CC-DD-EE-01', username: 'arlo.puddingstone' } });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body, { device: 'aa:bb:cc:dd:ee:01', username: 'arlo.puddingstone' });
    const listed = await api.json({ method: 'GET', url: '/api/devices', as: manager() });
    assert.deepEqual(listed.body.items, [{ device: 'aa:bb:cc:dd:ee:01', username: 'arlo.puddingstone' }]);
    const person = await api.json({ method: 'GET', url: '/api/people?q=arlo', as: manager() });
    assert.deepEqual(person.body.items[0].devices, ['aa:bb:cc:dd:ee:01']);
    const removed = await api.json({ method: 'DELETE', url: '/api/devices/aa:bb:cc:dd:ee:01', as: manager() });
    assert.equal(removed.status, 200);
    const again = await api.json({ method: 'DELETE', url: '/api/devices/aa:bb:cc:dd:ee:01', as: manager() });
    assert.equal(again.status, 404);
    const actions = (await f.deps.audit.entries({ limit: 100 })).slice(-2).map((e) => [e.action, e.subject]);
    assert.deepEqual(actions, [['device.register', 'device:aa:bb:cc:dd:ee:01'], ['device.remove', 'device:aa:bb:cc:dd:ee:01']]);
  });

  it('a device for someone not in the people store is refused', async () => {
    const { status, body } = await api.json({ method: 'POST', url: '/api/devices', as: manager(), body: { device: 'laptop-7', username: 'nobody.here' } });
    assert.deepEqual([status, body.error.code], [404, 'HR_IDENTITY_UNKNOWN_PERSON']);
  });

  it('lists the networks of the configuration, read-only', async () => {
    const { body } = await api.json({ method: 'GET', url: '/api/networks', as: manager() });
    assert.deepEqual(body.items, [{ name: 'pupil wifi', cidr: '10.20.0.0/16', role: 'pupil', groups: [] }]);
  });

  it('a teacher may neither read the people store nor import a roster', async () => {
    const teacher = f.account('desmond.nightingale', 'teacher', ['class-4n']);
    assert.equal((await api.json({ method: 'GET', url: '/api/people', as: teacher })).status, 403);
    assert.equal((await api.json({ method: 'POST', url: '/api/people/import', as: teacher, raw: csv('name,username,role\n') })).status, 403);
  });
});
