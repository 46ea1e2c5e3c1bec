// A real Debian Postfix for the tests: its own config_directory, queue_directory and
// data_directory in a temp folder, smtpd listeners on free ports on 127.0.0.1, and every delivery
// sent to one final sink. Started as root (Postfix's master requires it) and stopped by the test,
// or at process exit if a run dies first.
//
//   submission  — smtpd with smtpd_proxy_filter → the before-queue filter
//   inbound     — smtpd with content_filter=hedgerow:[127.0.0.1]:<after-queue filter>
//   reinject    — smtpd without filters, where both filters hand mail back
//   plain       — smtpd without filters (Postfix alone, for the benchmark)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.ts';

export const POSTFIX = '/usr/sbin/postfix';
export const SWAKS = '/usr/bin/swaks';

export interface PostfixPorts {
  submission: number;
  inbound: number;
  reinject: number;
  plain: number;
}

export interface TestPostfix {
  ports: PostfixPorts;
  dir: string;
  /** the tail of Postfix's own log, for failure messages */
  log(): string;
  stop(): Promise<void>;
}

/** Why Postfix tests cannot run here; they fail with this rather than skip. */
export function postfixProblem(): string | null {
  if (!existsSync(POSTFIX) || !existsSync(SWAKS)) return `Postfix or swaks is not installed (${POSTFIX}, ${SWAKS}): run scripts/install-system-packages.sh`;
  if (process.getuid?.() !== 0) return 'the Postfix tests start their own Postfix master, which must run as root';
  const user = spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' });
  if (user.status !== 0) return 'there is no `postfix` user: run scripts/install-system-packages.sh';
  return null;
}

function ids(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostfix(options: { beforeQueueFilter: number; afterQueueFilter: number; sink: number }): Promise<TestPostfix> {
  const problem = postfixProblem();
  if (problem) throw new Error(problem);
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-postfix-'));
  // the postfix user walks into the queue below
  chmodSync(dir, 0o755);
  const conf = join(dir, 'conf');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  for (const d of [conf, queue, data]) mkdirSync(d);
  const postfixUser = ids('postfix');
  chownSync(data, postfixUser.uid, postfixUser.gid);
  const ports: PostfixPorts = { submission: await freePort(), inbound: await freePort(), reinject: await freePort(), plain: await freePort() };
  const sink = `smtp:[127.0.0.1]:${options.sink}`;
  writeFileSync(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.taw.example
mydomain = taw.example
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
# every domain is delivered to the test's final sink; nothing leaves 127.0.0.1
default_transport = ${sink}
relay_transport = ${sink}
smtp_dns_support_level = disabled
smtp_host_lookup = native
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = ${join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
# deliver at once and retry soon: the tests wait on deliveries
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtpd_proxy_timeout = 60s
message_size_limit = 52428800
`,
  );
  const smtpd = (port: number, extra: string[]) => [`127.0.0.1:${port} inet n - n - 50 smtpd`, ...extra.map((line) => `  -o ${line}`)].join('\n');
  writeFileSync(
    join(conf, 'master.cf'),
    [
      smtpd(ports.submission, [`smtpd_proxy_filter=127.0.0.1:${options.beforeQueueFilter}`, 'smtpd_client_connection_count_limit=0']),
      smtpd(ports.inbound, [`content_filter=hedgerow:[127.0.0.1]:${options.afterQueueFilter}`, 'smtpd_client_connection_count_limit=0']),
      smtpd(ports.reinject, [
        'content_filter=',
        'receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters',
        'smtpd_authorized_xforward_hosts=127.0.0.0/8',
        'smtpd_client_connection_count_limit=0',
        'smtpd_client_restrictions=',
        'smtpd_helo_restrictions=',
        'smtpd_sender_restrictions=',
        'smtpd_relay_restrictions=permit_mynetworks,reject',
      ]),
      smtpd(ports.plain, ['smtpd_client_connection_count_limit=0']),
      'hedgerow  unix  -       -       n       -       10      smtp\n  -o smtp_send_xforward_command=yes\n  -o disable_mime_output_conversion=yes',
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
      'lmtp      unix  -       -       n       -       -       lmtp',
      'anvil     unix  -       -       n       -       1       anvil',
      'scache    unix  -       -       n       -       1       scache',
      'postlog   unix-dgram n  -       n       -       1       postlogd',
      '',
    ].join('\n'),
  );
  const log = () => {
    const file = join(dir, 'maillog');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-40).join('\n') : '(no maillog)';
  };
  const run = (command: string) => spawnSync(POSTFIX, ['-c', conf, command], { encoding: 'utf8' });

  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    run('abort');
    // `abort` returns before the master is gone; wait for its pid to disappear
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
  process.once('exit', stopNow);

  const started = run('start');
  if (started.status !== 0) {
    const detail = `${started.stderr}${started.stdout}\n${log()}`;
    stopNow();
    throw new Error(`Postfix did not start: ${detail}`);
  }
  // the master binds its listeners after `postfix start` returns
  const deadline = Date.now() + 20_000;
  for (;;) {
    const probe = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${ports.reinject} && head -c 3 <&3`], { encoding: 'utf8', timeout: 5000 });
    if (probe.stdout === '220') break;
    if (Date.now() > deadline) {
      const detail = log();
      stopNow();
      throw new Error(`Postfix did not answer on 127.0.0.1:${ports.reinject}:\n${detail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ports,
    dir,
    log,
    async stop() {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}

export interface SwaksResult {
  status: number | null;
  output: string;
  /** the server's reply to the message (after the final dot), e.g. `550 5.7.1 …` */
  dataReply: string | null;
}

/**
 * Send one message with swaks (the message file is written to the Postfix folder). Asynchronous:
 * the filters answering Postfix run in this same process, so the event loop must stay free.
 */
export function swaks(postfix: TestPostfix, port: number, envelope: { from: string; to: string[]; helo?: string }, message: string): Promise<SwaksResult> {
  const file = join(postfix.dir, `message-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, message.replace(/\r?\n/g, '\r\n'));
  const args = ['--server', `127.0.0.1:${port}`, '--from', envelope.from, '--to', envelope.to.join(','), '--helo', envelope.helo ?? 'laptop.taw.example', '--data', `@${file}`, '--timeout', '60', '--hide-informational'];
  return new Promise((resolve) => {
    const child = spawn(SWAKS, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      // swaks shows the server's lines with `<-` (success) or `<**` (error); the reply to the
      // message is the last one before the reply to QUIT
      const replies = output.split('\n').filter((line) => /^<(-|\*\*) +\d{3}/.test(line)).map((line) => line.replace(/^<(-|\*\*) +/, ''));
      const quitAt = replies.findIndex((line) => /^221 /.test(line));
      const dataReply = (quitAt > 0 ? replies[quitAt - 1] : replies.at(-1)) ?? null;
      resolve({ status, output, dataReply });
    });
  });
}
