// A real Debian Postfix that accepts mail for `school.invalid` on 127.0.0.1 and delivers it with
// its own `virtual` delivery agent into one mbox file per local part under a temp folder: the
// notifier's mail goes through a real MTA into a real mailbox, and the test reads it from there.
// Started as root (Postfix's master requires it) and stopped by the test, or at process exit.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';

export const POSTFIX = '/usr/sbin/postfix';
export const MAIL_DOMAIN = 'school.invalid';

export interface MailboxPostfix {
  port: number;
  /** the mbox file of `local@school.invalid`, or null while nothing was delivered */
  mailbox(local: string): string | null;
  log(): string;
  stop(): void;
}

/** Why this Postfix cannot run here, or null. */
export function mailboxPostfixProblem(): string | null {
  if (!existsSync(POSTFIX)) return `Postfix is not installed (${POSTFIX}): run scripts/install-system-packages.sh`;
  if (process.getuid?.() !== 0) return 'the test starts its own Postfix master, which must run as root';
  if (spawnSync('id', ['-u', 'postfix']).status !== 0) return 'there is no `postfix` user: run scripts/install-system-packages.sh';
  return null;
}

function ids(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** `mailboxes`: the local parts that have a mailbox; mail to anyone else bounces. */
export async function startMailboxPostfix(mailboxes: readonly string[]): Promise<MailboxPostfix> {
  const problem = mailboxPostfixProblem();
  if (problem) throw new Error(problem);
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-mailbox-'));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'conf');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  const mail = join(dir, 'mail');
  for (const d of [conf, queue, data, mail]) mkdirSync(d);
  const postfixUser = ids('postfix');
  chownSync(data, postfixUser.uid, postfixUser.gid);
  // the virtual agent writes the mailboxes as this user
  chownSync(mail, postfixUser.uid, postfixUser.gid);
  const port = await freePort();
  // one mbox file per mailbox: nigel.applegarth@school.invalid → mail/nigel.applegarth
  writeFileSync(join(conf, 'mailboxes'), mailboxes.map((local) => `${local}@${MAIL_DOMAIN} ${local}\n`).join(''));
  writeFileSync(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.${MAIL_DOMAIN}
mydomain = ${MAIL_DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = ${MAIL_DOMAIN}
virtual_mailbox_base = ${mail}
virtual_mailbox_maps = texthash:${join(conf, 'mailboxes')}
virtual_uid_maps = static:${postfixUser.uid}
virtual_gid_maps = static:${postfixUser.gid}
virtual_minimum_uid = 1
# nothing is delivered anywhere but the mailboxes above
default_transport = error:this test Postfix delivers to ${MAIL_DOMAIN} only
relay_transport = error:this test Postfix delivers to ${MAIL_DOMAIN} only
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
maillog_file = ${join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`,
  );
  writeFileSync(
    join(conf, 'master.cf'),
    [
      `127.0.0.1:${port} inet n - n - 20 smtpd`,
      'pickup    unix  n       -       n       60      1       pickup',
      'cleanup   unix  n       -       n       -       0       cleanup',
      'qmgr      unix  n       -       n       300     1       qmgr',
      'tlsmgr    unix  -       -       n       1000?   1       tlsmgr',
      'rewrite   unix  -       -       n       -       -       trivial-rewrite',
      'bounce    unix  -       -       n       -       0       bounce',
      'defer     unix  -       -       n       -       0       bounce',
      'trace     unix  -       -       n       -       0       bounce',
      'verify    unix  -       -       n       -       1       verify',
      'flush     unix  n       -       n       1000?   0       flush',
      'proxymap  unix  -       -       n       -       -       proxymap',
      'smtp      unix  -       -       n       -       -       smtp',
      'relay     unix  -       -       n       -       -       smtp',
      'showq     unix  n       -       n       -       -       showq',
      'error     unix  -       -       n       -       -       error',
      'retry     unix  -       -       n       -       -       error',
      'discard   unix  -       -       n       -       -       discard',
      'local     unix  -       n       n       -       -       local',
      'virtual   unix  -       n       n       -       -       virtual',
      'lmtp      unix  -       -       n       -       -       lmtp',
      'anvil     unix  -       -       n       -       1       anvil',
      'scache    unix  -       -       n       -       1       scache',
      'postlog   unix-dgram n  -       n       -       1       postlogd',
      '',
    ].join('\n'),
  );
  const log = () => {
    const file = join(dir, 'maillog');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no maillog)';
  };
  const run = (command: string) => spawnSync(POSTFIX, ['-c', conf, command], { encoding: 'utf8' });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    run('abort');
    const pidFile = join(queue, 'pid', 'master.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    for (let i = 0; i < 100 && Number.isFinite(pid); i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      spawnSync('sleep', ['0.05']);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  const started = run('start');
  if (started.status !== 0) {
    const detail = `${started.stderr}${started.stdout}\n${log()}`;
    stop();
    throw new Error(`Postfix did not start: ${detail}`);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const probe = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && head -c 3 <&3`], { encoding: 'utf8', timeout: 5000 });
    if (probe.stdout === '220') break;
    if (Date.now() > deadline) {
      const detail = log();
      stop();
      throw new Error(`Postfix did not answer on 127.0.0.1:${port}:\n${detail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    mailbox(local) {
      const file = join(mail, local);
      return existsSync(file) ? readFileSync(file, 'utf8') : null;
    },
    log,
    stop() {
      process.removeListener('exit', stop);
      stop();
    },
  };
}
