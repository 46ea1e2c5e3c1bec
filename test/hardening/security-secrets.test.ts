// No secrets or passwords in logs (issue 8, section 4): Hedgerow runs with a directory service
// password (a real slapd), an SMTP relay password (a relay on 127.0.0.1 that asks for it), a
// quarantine key (mail sealed with it), a proxy sign-in by roster password and by directory
// bind, and dashboard sign-ins — each secret used for real, right and wrong, and then through
// the failure paths (relay refuses the login, directory gone). Everything the process printed
// (its log, stdout and stderr), every answer it gave, and every byte of every file it wrote in
// the data folder are then searched for each secret, in the plain and in the encodings that
// carry it on the wire (Basic, AUTH PLAIN, AUTH LOGIN, hex): none may appear.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { slapdUnavailable, startSlapd, SUFFIX, type Slapd } from '../identity/slapd.ts';
import { SmtpTalk } from '../mail-smtp/support/smtp-talk.ts';
import { startSink, type Sink } from '../mail-smtp/support/sink.ts';
import { freePort } from '../support/free-port.ts';
import { ApiClient, firstAdministrator, request, startSecuritySchool, type Answer, type SecuritySchool } from './support/security-school.ts';
import { installTripwire } from './support/security-tripwire.ts';

const tripwire = installTripwire();
const skip = slapdUnavailable();

// Each secret is distinctive, so a match can only be that secret.
const SECRETS = {
  ldapService: 'service-test-secret', // the service account's password in the test directory (test/identity/slapd.ts)
  ldapPerson: 'Peregrine-Directory-Secret-51',
  ldapPersonWrong: 'Peregrine-Wrong-Guess-52',
  smtp: 'Relay-Password-Kestrel-53',
  rosterProxy: 'Roster-Proxy-Secret-54',
  rosterProxyWrong: 'Roster-Proxy-Guess-55',
  dashboard: 'Dashboard-Password-Heron-56',
  dashboardWrong: 'Dashboard-Wrong-Guess-57',
  dashboardAdmin: 'Hazel-Coppice-Lantern-42',
  quarantineKey: randomBytes(32).toString('base64'),
};

/** The forms a secret takes on the wire or in a careless log line. */
function spellings(name: keyof typeof SECRETS, users: Record<string, string>): Array<[string, Buffer]> {
  const secret = SECRETS[name];
  const forms: Array<[string, Buffer]> = [
    [`${name} (plain)`, Buffer.from(secret)],
    [`${name} (hex)`, Buffer.from(Buffer.from(secret).toString('hex'))],
    [`${name} (base64)`, Buffer.from(Buffer.from(secret).toString('base64'))],
  ];
  const user = users[name];
  if (user) {
    forms.push([`${name} (Basic)`, Buffer.from(Buffer.from(`${user}:${secret}`).toString('base64'))]);
    forms.push([`${name} (AUTH PLAIN)`, Buffer.from(Buffer.from(`\0${user}\0${secret}`).toString('base64'))]);
  }
  if (name === 'quarantineKey') forms.push([`${name} (raw bytes)`, Buffer.from(secret, 'base64')], [`${name} (raw hex)`, Buffer.from(Buffer.from(secret, 'base64').toString('hex'))]);
  return forms;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

describe('no secrets or passwords in logs, answers or the data folder', { skip: skip ?? false }, () => {
  let slapd: Slapd;
  let relay: SMTPServer;
  let sink: Sink;
  let school: SecuritySchool;
  let admin: ApiClient;
  let afterQueuePort = 0;
  const relayLogins: string[] = [];
  const printed: string[] = [];
  const answers: Answer[] = [];
  const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  const used: string[] = [];

  before(async () => {
    // a copy of everything this process writes to stdout and stderr (still written through)
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (writes.stdout as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (writes.stderr as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;

    slapd = await startSlapd([{ uid: 'peregrine.falconer', cn: 'Peregrine Falconer', password: SECRETS.ldapPerson, employeeType: 'Teacher' }]);
    // the school's relay: it asks for the login and, here, refuses it (the failure path is where secrets leak)
    relay = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        relayLogins.push(`${auth.username}:${auth.password ?? ''}`);
        callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
    });
    const relayPort = await freePort();
    await new Promise<void>((resolve) => relay.listen(relayPort, '127.0.0.1', resolve));
    sink = await startSink();
    afterQueuePort = await freePort();
    school = await startSecuritySchool({
      proxy: { port: 0, allowedClients: ['127.0.0.1/32'] },
      networks: [{ cidr: '127.0.0.1/32', role: 'pupil', groups: ['class-6s'] }],
      ldap: {
        url: slapd.url,
        searchBase: `ou=people,${SUFFIX}`,
        searchFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
        serviceDn: `cn=hedgerow,${SUFFIX}`,
        servicePassword: SECRETS.ldapService,
        attributes: { role: 'employeeType' },
        roleValues: { Teacher: 'teacher' },
      },
      notify: { smtp: { host: '127.0.0.1', port: relayPort, from: 'Hedgerow <hedgerow@school.example>', auth: { user: 'hedgerow-relay', pass: SECRETS.smtp }, timeoutMs: 5_000 } },
      mail: { afterQueue: { port: afterQueuePort }, relay: { port: sink.port }, quarantine: { key: SECRETS.quarantineKey } },
    });
    admin = await firstAdministrator(school, { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', password: SECRETS.dashboardAdmin });

    // 1. dashboard sign-ins: right, wrong, and a password typed into the username field
    const made = await admin.send('POST', '/api/accounts', { username: 'heron.teacher', displayName: 'Heron Teacher', role: 'teacher', password: SECRETS.dashboard, reason: 'a teacher' });
    assert.equal(made.status, 201, made.body);
    const teacher = new ApiClient(school.httpPort);
    answers.push(await teacher.signIn('heron.teacher', SECRETS.dashboardWrong));
    answers.push(await teacher.signIn(SECRETS.dashboardWrong, SECRETS.dashboard));
    answers.push(await teacher.signIn('heron.teacher', SECRETS.dashboard));
    assert.equal(answers.at(-1)!.status, 200, 'the right password signs in');
    used.push('dashboard sign-in');

    // 2. the proxy: a roster person's password (right and wrong) and a directory person's bind (right and wrong)
    const roster = 'name,username,role,year group,date of birth,groups,email,line manager\nWren Ashdown,wren.ashdown,teacher,,,,,\n';
    answers.push(await request(school.httpPort, 'POST', '/api/people/import', { cookie: admin.cookie!, 'x-csrf-token': admin.csrf!, 'content-type': 'text/csv' }, roster));
    await school.running.people.setPassword('wren.ashdown', SECRETS.rosterProxy);
    const basic = (user: string, pass: string) => ({ 'proxy-authorization': `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`, host: 'www.facebook.com', accept: 'text/html' });
    const viaProxy = (user: string, pass: string) => request(school.proxyPort, 'GET', 'http://www.facebook.com/', basic(user, pass));
    answers.push(await viaProxy('wren.ashdown', SECRETS.rosterProxyWrong));
    answers.push(await viaProxy('wren.ashdown', SECRETS.rosterProxy));
    answers.push(await viaProxy('peregrine.falconer', SECRETS.ldapPersonWrong));
    const directory = await viaProxy('peregrine.falconer', SECRETS.ldapPerson);
    answers.push(directory);
    assert.match(String(directory.headers['x-hedgerow-decision']), /^warn/, 'the directory bind identified a teacher (staff get the warn page)');
    assert.ok((await slapd.bindCount(`uid=peregrine.falconer,ou=people,${SUFFIX}`)) >= 1, 'the directory saw the bind');
    used.push('proxy sign-in by roster password', 'proxy sign-in by directory bind');

    // 3. the directory service account: a sync binds with it
    const synced = await admin.send('POST', '/api/people/directory-sync');
    answers.push(synced);
    assert.equal(synced.status, 200, synced.body);
    assert.ok((await slapd.bindCount(`cn=hedgerow,${SUFFIX}`)) >= 1, 'the directory saw the service bind');
    used.push('directory service bind');

    // 4. the relay login: a notification by mail, which the relay refuses at AUTH
    await school.running.workflows.notifications.center.notify({ kind: 'test.relay', to: [{ email: 'dsl@school.example' }], subject: 'A test notification', text: 'hello' });
    await school.running.workflows.notifications.outbox!.runOnce();
    assert.ok(relayLogins.includes(`hedgerow-relay:${SECRETS.smtp}`), `the relay was offered the password: ${relayLogins.join(', ')}`);
    answers.push(await admin.send('GET', '/api/notifications/outbox'));
    used.push('relay login (refused)');

    // 5. the quarantine key: inbound mail the rules refuse is sealed with it, and an officer lists it
    const inbound = await SmtpTalk.open(afterQueuePort);
    await inbound.talk.send('EHLO mail.blocked.example');
    await inbound.talk.send('MAIL FROM:<head@taw-org.uk>');
    await inbound.talk.send('RCPT TO:<benedict.quayle@taw.org.uk>');
    const held = await inbound.talk.data(
      'From: "Ada Tinderbox" <head@taw-org.uk>\r\nTo: benedict.quayle@taw.org.uk\r\nSubject: Mailbox full: act now\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n' +
        '<p>Your mailbox is full.</p><p><a href="http://login.blocked.example/reset">https://www.taw.org.uk/mailbox</a></p>\r\n',
    );
    await inbound.talk.quit();
    assert.match(held.text, /held in quarantine/, 'the phishing message was sealed with the key');
    answers.push(await admin.send('GET', '/api/quarantine'));
    used.push('quarantine seal');

    // 6. the failure paths of the directory: it goes away, and sign-in and sync fail
    await slapd.stop();
    answers.push(await viaProxy('peregrine.falconer', SECRETS.ldapPerson));
    answers.push(await admin.send('POST', '/api/people/directory-sync'));
    used.push('directory gone');
  });

  after(async () => {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    await school?.close();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await sink?.close();
    await slapd?.stop().catch(() => undefined);
    tripwire.remove();
  });

  it('used every secret for real, and the search would see one', (t) => {
    const careless = Buffer.from(`relay login hedgerow-relay ${Buffer.from(`\0hedgerow-relay\0${SECRETS.smtp}`).toString('base64')}`);
    assert.ok(spellings('smtp', { smtp: 'hedgerow-relay' }).some(([, needle]) => careless.indexOf(needle) !== -1), 'an AUTH PLAIN line is caught');
    assert.ok(used.length >= 7, used.join('; '));
    t.diagnostic(`secrets exercised: ${used.join('; ')}`);
    t.diagnostic(`answers: ${answers.map((a) => a.status).join(' ')}`);
  });

  it('prints no secret: not in the log, not on stdout or stderr', (t) => {
    const text = Buffer.from([...school.lines, ...printed].join('\n'));
    const users = { rosterProxy: 'wren.ashdown', rosterProxyWrong: 'wren.ashdown', ldapPerson: 'peregrine.falconer', ldapPersonWrong: 'peregrine.falconer', smtp: 'hedgerow-relay' };
    let checked = 0;
    for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
      for (const [what, needle] of spellings(name, users)) {
        assert.equal(text.indexOf(needle), -1, `${what} was printed`);
        checked++;
      }
    }
    assert.ok(school.lines.some((line) => /directory sign-in failed/.test(line)) || printed.some((line) => /directory|ldap/i.test(line)), 'the directory failure was reported, without its secrets');
    t.diagnostic(`printed lines searched: ${school.lines.length + printed.length}, spellings: ${checked}`);
  });

  it('answers with no secret', () => {
    const text = Buffer.from(answers.map((a) => `${JSON.stringify(a.headers)}\n${a.body}`).join('\n'));
    for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
      for (const [what, needle] of spellings(name, {})) assert.equal(text.indexOf(needle), -1, `${what} was in an answer`);
    }
  });

  it('writes no secret into any file of the data folder, read byte for byte after a clean stop (databases, keys, the catalogue snapshot)', async (t) => {
    // stopped first, so every writer has flushed what it held
    await school.running.close();
    const users = { rosterProxy: 'wren.ashdown', ldapPerson: 'peregrine.falconer', smtp: 'hedgerow-relay' };
    const files = filesUnder(school.dataDir);
    assert.ok(files.some((f) => f.endsWith('hedgerow.db')), files.join(', '));
    let bytes = 0;
    for (const file of files) {
      const content = readFileSync(file);
      bytes += content.length;
      for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
        for (const [what, needle] of spellings(name, users)) assert.equal(content.indexOf(needle), -1, `${what} is in ${file}`);
      }
    }
    t.diagnostic(`files searched: ${files.length} (${bytes} bytes): ${files.map((f) => f.slice(school.dataDir.length + 1)).join(', ')}`);
  });

  it('made no connection off this machine', () => {
    assert.deepEqual(tripwire.tripped, []);
  });
});
