// The directory sync from the dashboard (`POST /api/people/directory-sync`) and from the command
// line (`hedgerow people sync`), against a real slapd on 127.0.0.1: the report comes back, the
// sync is audited, and it needs `people.import` and a configured directory. Skipped only when
// slapd is not installed and CI is not set.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ApiDeps } from '../../src/api/index.ts';
import { peopleRoutes } from '../../src/api/routes/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { peopleCommand, PeopleStore, type PeopleIo } from '../../src/identity/index.ts';
import { featureFixture, type FeatureFixture } from '../api-features/feature-fixture.ts';
import { freePort } from '../support/free-port.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { slapdUnavailable, startSlapd, SUFFIX, type Slapd, type TestPerson } from './slapd.ts';

const PEOPLE: TestPerson[] = [
  { uid: 'amelia.tern', cn: 'Amelia Tern', password: 'Sparrow-Hawk-1' },
  { uid: 'jonah.birchwood', cn: 'Jonah Birchwood', password: 'Curlew-Moss-2' },
  { uid: 'ben.wheatear', cn: 'Ben Wheatear', password: 'Otter-Pebble-3', yearGroup: 'Year 4', employeeType: 'Pupil' },
  { uid: 'nell.dunnock', cn: 'Nell Dunnock', password: 'Vole-Bramble-4' },
  { uid: 'kiosk$', cn: 'Library Kiosk', password: 'Not-A-Login-8' },
];
const GROUPS = [
  { cn: 'teachers', members: ['amelia.tern', 'jonah.birchwood'] },
  { cn: 'esafety', members: ['jonah.birchwood'] },
];
const KIOSK_REASON = 'username `kiosk$` must be 1–128 of a-z, 0-9, `.`, `_`, `-`, `@`, starting with a letter or digit';

/** The `ldap` section of a configuration pointing at a test slapd. */
function ldapSection(url: string, servicePassword = 'service-test-secret') {
  return {
    url,
    searchBase: `ou=people,${SUFFIX}`,
    searchFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    serviceDn: `cn=hedgerow,${SUFFIX}`,
    servicePassword,
    groupSearchBase: `ou=groups,${SUFFIX}`,
    attributes: { yearGroup: 'departmentNumber', role: 'employeeType' },
    roleValues: { Pupil: 'pupil' },
    groupRoles: [
      { group: `cn=esafety,ou=groups,${SUFFIX}`, role: 'esafety-team' },
      { group: `cn=teachers,ou=groups,${SUFFIX}`, role: 'teacher' },
    ],
  };
}

const skip = slapdUnavailable();

describe('POST /api/people/directory-sync', { skip: skip ?? false }, () => {
  let slapd: Slapd;
  let f: FeatureFixture;
  let api: RouteHarness;
  let withoutDirectory: RouteHarness;

  before(async () => {
    slapd = await startSlapd(PEOPLE, GROUPS);
    f = await featureFixture();
    const deps: ApiDeps = { ...f.deps, config: configSchema.parse({ ldap: ldapSection(slapd.url) }) };
    api = await routeHarness(peopleRoutes(deps));
    withoutDirectory = await routeHarness(peopleRoutes(f.deps));
  });
  after(async () => {
    await api?.close();
    await withoutDirectory?.close();
    await f?.close();
    await slapd?.stop();
  });

  const manager = () => f.account('olive.stonechat', 'network-manager');

  it('is declared with the action people.import, so the permission matrix walks it', () => {
    const route = peopleRoutes(f.deps).find((r) => r.method === 'POST' && r.url === '/api/people/directory-sync');
    assert.equal(route?.action, 'people.import');
  });

  it('is refused without people.import and changes nothing', async () => {
    const teacher = f.account('ada.tinderbox', 'teacher');
    assert.equal(teacher.can.includes('people.import'), false);
    const { status, body } = await api.json({ method: 'POST', url: '/api/people/directory-sync', as: teacher });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'HR_API_FORBIDDEN');
    assert.equal(f.deps.people.get('amelia.tern'), null);
  });

  it('syncs with people.import, returns the report and audits the actor and the counts', async () => {
    const { status, body } = await api.json({ method: 'POST', url: '/api/people/directory-sync', as: manager() });
    assert.equal(status, 200);
    // jonah.birchwood is on the reference roster: the directory now manages him
    assert.deepEqual(body, { added: 3, updated: 1, deactivated: 0, unchanged: 0, skipped: [{ dn: `uid=kiosk$,ou=people,${SUFFIX}`, reason: KIOSK_REASON }] });
    assert.equal(f.deps.people.get('amelia.tern')?.role, 'teacher');
    assert.equal(f.deps.people.get('ben.wheatear')?.role, 'pupil');
    assert.deepEqual(f.deps.people.get('ben.wheatear')?.groups, ['year-4']);
    assert.equal(f.deps.people.get('jonah.birchwood')?.source, 'ldap');
    assert.equal(f.deps.people.get('nell.dunnock')?.role, 'guest', 'no role in the directory: the policy\'s unidentified role');
    assert.equal(f.deps.people.get('poppy.hazelwood')?.active, true, 'roster pupils not in the directory are left alone');
    const entry = (await f.deps.audit.entries({ limit: 100 })).at(-1)!;
    assert.deepEqual([entry.actor, entry.action, entry.subject, entry.after], [
      'olive.stonechat',
      'people.directory-sync',
      'people:directory',
      { added: 3, updated: 1, deactivated: 0, unchanged: 0, skipped: 1 },
    ]);
  });

  it('answers 409 when no directory is configured', async () => {
    const { status, body } = await withoutDirectory.json({ method: 'POST', url: '/api/people/directory-sync', as: manager() });
    assert.equal(status, 409);
    assert.equal(body.error.code, 'HR_API_CONFLICT');
    assert.match(body.error.message, /no directory is configured/);
  });

  it('answers 502 when the directory cannot be reached, and audits nothing', async () => {
    const port = await freePort();
    const deps: ApiDeps = { ...f.deps, config: configSchema.parse({ ldap: { ...ldapSection(`ldap://127.0.0.1:${port}`), timeoutMs: 2000 } }) };
    const down = await routeHarness(peopleRoutes(deps));
    try {
      const entries = (await f.deps.audit.entries({ limit: 1000 })).length;
      const { status, body } = await down.json({ method: 'POST', url: '/api/people/directory-sync', as: manager() });
      assert.equal(status, 502);
      assert.equal(body.error.code, 'HR_IDENTITY_DIRECTORY');
      assert.equal((await f.deps.audit.entries({ limit: 1000 })).length, entries);
    } finally {
      await down.close();
    }
  });
});

function cliIo(env: NodeJS.ProcessEnv): PeopleIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: Readable.from(['']), env, now: () => Date.parse('2026-11-24T10:00:00Z'), out: () => out, err: () => err };
}

describe('hedgerow people sync', { skip: skip ?? false }, () => {
  let slapd: Slapd;
  let dir: string;

  before(async () => {
    slapd = await startSlapd(PEOPLE, GROUPS);
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-sync-cli-'));
  });
  after(async () => {
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (name: string, value: unknown): string => {
    const file = join(dir, name);
    // JSON is YAML: the configuration loader reads it as it is
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('prints the report, one line per skipped entry, and exits 0', async () => {
    const data = join(dir, 'data');
    const io = cliIo({ HEDGEROW_DATA: data });
    assert.equal(await peopleCommand(['sync', '--config', config('hedgerow.yaml', { ldap: ldapSection(slapd.url) })], io), 0, io.err());
    assert.equal(io.out(), `added 4, updated 0, deactivated 0, unchanged 0, skipped 1\nskipped uid=kiosk$,ou=people,${SUFFIX}: ${KIOSK_REASON}\n`);
    const store = PeopleStore.open(data);
    try {
      assert.deepEqual(store.list().map((p) => `${p.username}:${p.role}:${p.groups.join(',')}:${p.source}`).sort(), [
        'amelia.tern:teacher::ldap',
        'ben.wheatear:pupil:year-4:ldap',
        'jonah.birchwood:esafety-team::ldap',
        'nell.dunnock:guest::ldap',
      ]);
    } finally {
      store.close();
    }
    const json = cliIo({ HEDGEROW_DATA: data });
    assert.equal(await peopleCommand(['sync', '--json', '--config', join(dir, 'hedgerow.yaml')], json), 0);
    assert.deepEqual(JSON.parse(json.out()), { added: 0, updated: 0, deactivated: 0, unchanged: 4, skipped: [{ dn: `uid=kiosk$,ou=people,${SUFFIX}`, reason: KIOSK_REASON }] });
  });

  it('exits 1 with the coded error when the directory refuses the service account', async () => {
    const io = cliIo({ HEDGEROW_DATA: join(dir, 'data-refused') });
    assert.equal(await peopleCommand(['sync', '--config', config('refused.yaml', { ldap: ldapSection(slapd.url, 'wrong') })], io), 1);
    assert.match(io.err(), /^hedgerow people: HR_IDENTITY_DIRECTORY: ldap `ldap:\/\/127\.0\.0\.1:\d+`: the service account bind failed/);
    assert.equal(io.out(), '');
  });

  it('exits 1 when no directory is configured', async () => {
    const io = cliIo({ HEDGEROW_DATA: join(dir, 'data-none') });
    assert.equal(await peopleCommand(['sync', '--config', config('none.yaml', { dns: { enabled: false } })], io), 1);
    assert.match(io.err(), /HR_IDENTITY_INPUT: ldap: no directory is configured/);
  });
});
