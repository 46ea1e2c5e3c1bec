// A real OpenLDAP server for the identity tests: Debian's `slapd` on 127.0.0.1 and a free port,
// with a throwaway cn=config built by `slapadd -n0` (mdb backend, suffix dc=example,dc=org) and
// the test people loaded with `ldapadd`. Started with `-d stats` so every BIND and SRCH shows on
// stderr and a test can count the operations the server really saw. Tests change entries while
// it runs through an ldapts client bound as the root DN.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../support/free-port.ts';

export const SUFFIX = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PASSWORD = 'root-test-secret';

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function findProgram(name: string): string | null {
  for (const dir of [...SBIN, ...(process.env.PATH ?? '').split(':')]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Why the LDAP tests cannot run here, or null when they can. In CI a missing slapd is a failure. */
export function slapdUnavailable(): string | null {
  const missing = ['slapd', 'slapadd', 'ldapadd'].filter((name) => !findProgram(name));
  if (missing.length === 0) return null;
  const message = `${missing.join(', ')} not installed (run scripts/install-system-packages.sh)`;
  if (process.env.CI) throw new Error(`LDAP tests must run in CI: ${message}`);
  return message;
}


function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface SlapdOptions {
  /**
   * slapd's own limit on entries per search for everyone but the root DN (`olcSizeLimit`; slapd's
   * default is 500); `serviceUnlimited` lifts it for the service account `cn=hedgerow`
   */
  sizeLimit?: number;
  serviceUnlimited?: boolean;
}

function configLdif(dir: string, options: SlapdOptions): string {
  const limits = [
    ...(options.sizeLimit !== undefined ? [`olcSizeLimit: ${options.sizeLimit}`] : []),
    ...(options.serviceUnlimited ? [`olcLimits: {0}dn.exact="cn=hedgerow,${SUFFIX}" size=unlimited time=unlimited`] : []),
  ];
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcArgsFile: ${dir}/slapd.args

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

include: file:///etc/ldap/schema/nis.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${dir}/db
olcDbMaxSize: 16777216
olcSuffix: ${SUFFIX}
olcRootDN: ${ROOT_DN}
olcRootPW: ${ROOT_PASSWORD}
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by users read by * none
${limits.join('\n')}
`;
}

export interface TestPerson {
  uid: string;
  cn: string;
  /** the entry's RDN (default `uid=<uid>`), under ou=people */
  rdn?: string;
  /** the entry carries no `uid` attribute at all (a contact, a room) */
  omitUid?: boolean;
  password: string;
  /** `departmentNumber` carries the year group in these tests */
  yearGroup?: string;
  employeeType?: string;
}

export interface TestGroup {
  cn: string;
  members: string[];
}

/** The DN a test person is stored under. */
export function personDn(person: TestPerson): string {
  return `${person.rdn ?? `uid=${person.uid}`},ou=people,${SUFFIX}`;
}

function personLdif(p: TestPerson): string {
  const lines = [`dn: ${personDn(p)}`, 'objectClass: inetOrgPerson', `cn: ${p.cn}`, `sn: ${p.cn.split(' ').at(-1)}`, `userPassword: ${p.password}`];
  if (!p.omitUid) lines.splice(2, 0, `uid: ${p.uid}`);
  if (p.yearGroup) lines.push(`departmentNumber: ${p.yearGroup}`);
  if (p.employeeType) lines.push(`employeeType: ${p.employeeType}`);
  return lines.join('\n');
}

export function dataLdif(people: readonly TestPerson[], groups: readonly TestGroup[]): string {
  const blocks = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example School`,
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups`,
    `dn: cn=hedgerow,${SUFFIX}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: hedgerow\nuserPassword: service-test-secret`,
  ];
  const memberDn = (uid: string): string => {
    const person = people.find((p) => p.uid === uid);
    return person ? personDn(person) : `uid=${uid},ou=people,${SUFFIX}`;
  };
  for (const p of people) blocks.push(personLdif(p));
  for (const g of groups) {
    blocks.push(
      [`dn: cn=${g.cn},ou=groups,${SUFFIX}`, 'objectClass: groupOfNames', `cn: ${g.cn}`, ...g.members.map((m) => `member: ${memberDn(m)}`)].join(
        '\n',
      ),
    );
  }
  return `${blocks.join('\n\n')}\n`;
}

export interface Slapd {
  url: string;
  port: number;
  /** BIND operations slapd logged for this DN (case-insensitive), once its log has caught up */
  bindCount(dn: string): Promise<number>;
  /** SRCH operations (one per page of a paged search) slapd logged with exactly this filter */
  searchCount(filter: string): Promise<number>;
  /** adds a person while the server runs */
  addPerson(person: TestPerson): Promise<void>;
  /** deletes an entry while the server runs */
  remove(dn: string): Promise<void>;
  /** replaces an attribute's values while the server runs */
  replace(dn: string, attribute: string, values: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startSlapd(people: readonly TestPerson[], groups: readonly TestGroup[] = [], options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-slapd-'));
  mkdirSync(join(dir, 'slapd.d'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'config.ldif'), configLdif(dir, options));
  writeFileSync(join(dir, 'data.ldif'), dataLdif(people, groups));
  const slapadd = spawnSync(findProgram('slapadd')!, ['-n0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')], { encoding: 'utf8' });
  if (slapadd.status !== 0) throw new Error(`slapadd failed: ${slapadd.stderr}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(findProgram('slapd')!, ['-h', `${url}/`, '-F', join(dir, 'slapd.d'), '-d', 'stats'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    if (process.env.SLAPD_DEBUG) process.stderr.write(chunk);
    log += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`slapd did not start on ${url}:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // NOTE: not spawnSync: slapd logs every ADD to the pipe this process reads, and a blocked
  // event loop lets that pipe fill until slapd (and so ldapadd) stops
  const ldapadd = await new Promise<{ status: number | null; output: string }>((resolveAdd) => {
    const add = spawn(findProgram('ldapadd')!, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-f', join(dir, 'data.ldif')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    add.stdout!.on('data', () => undefined);
    add.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    add.once('error', (error) => resolveAdd({ status: null, output: error.message }));
    add.once('close', (status) => resolveAdd({ status, output }));
  });
  if (ldapadd.status !== 0) {
    child.kill('SIGKILL');
    throw new Error(`ldapadd failed: ${ldapadd.output}`);
  }

  const quiet = async (): Promise<void> => {
    // slapd writes its log asynchronously; wait until it has been quiet for a moment
    let seen = -1;
    while (seen !== log.length) {
      seen = log.length;
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  const asRoot = async (change: (client: Client) => Promise<void>): Promise<void> => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
    try {
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      await change(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };

  return {
    url,
    port,
    async bindCount(dn: string): Promise<number> {
      await quiet();
      // one `BIND dn="…" method=128` line per simple bind (a second line reports the outcome)
      const needle = `bind dn="${dn.toLowerCase()}" method=`;
      return log.toLowerCase().split(needle).length - 1;
    },
    async searchCount(filter: string): Promise<number> {
      await quiet();
      return log.toLowerCase().split(` filter="${filter.toLowerCase()}"`).length - 1;
    },
    async addPerson(person: TestPerson): Promise<void> {
      await asRoot(async (client) => {
        const attributes: Record<string, string | string[]> = {
          objectClass: 'inetOrgPerson',
          cn: person.cn,
          sn: person.cn.split(' ').at(-1)!,
          userPassword: person.password,
        };
        if (!person.omitUid) attributes.uid = person.uid;
        if (person.yearGroup) attributes.departmentNumber = person.yearGroup;
        if (person.employeeType) attributes.employeeType = person.employeeType;
        await client.add(personDn(person), attributes);
      });
    },
    async remove(dn: string): Promise<void> {
      await asRoot((client) => client.del(dn));
    },
    async replace(dn: string, attribute: string, values: string[]): Promise<void> {
      await asRoot((client) => client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values }) })));
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
