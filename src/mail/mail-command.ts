// `hedgerow mail check-ooo FILE|-` and `hedgerow mail check-subject TEXT`: the out-of-office and
// calendar-subject checks from the command line. Exit 0 when compliant, 1 when not, 2 when the
// check could not be made (usage, unreadable file, a policy without a mail section).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLocation } from '../errors/index.ts';
import { PeopleStore } from '../identity/index.ts';
import { loadPolicy, type ResolvedMailPolicy } from '../policy/index.ts';
import { dataDirectory, referencePolicyPath } from '../runtime/index.ts';
import { databasePath } from '../store/index.ts';
import { checkOutOfOffice } from './ooo-check.ts';
import { SubjectChecker } from './subject-check.ts';

export interface MailIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export const MAIL_USAGE = `Usage:
  hedgerow mail check-ooo FILE|- [--policy FILE] [--json]
      does the out-of-office text (plain or HTML; - reads standard input) contain the policy's
      Freedom of Information statement?
  hedgerow mail check-subject TEXT [--policy FILE] [--names FILE] [--json]
      is the calendar subject free of personal data? Names come from the people store in
      HEDGEROW_DATA and from --names (one full name a line)

Exit status: 0 compliant, 1 not compliant, 2 the check could not be made.`;

const MAX_INPUT_BYTES = 1024 * 1024;

class UsageError extends Error {}
/** the input cannot be read: said without the usage text */
class InputError extends Error {}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function readInput(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stdin) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > MAX_INPUT_BYTES) throw new InputError(`standard input is longer than ${MAX_INPUT_BYTES} bytes`);
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  let size: number;
  try {
    size = statSync(source).size;
  } catch {
    throw new InputError(`cannot read \`${source}\`: no such file`);
  }
  if (size > MAX_INPUT_BYTES) throw new InputError(`\`${source}\` is ${size} bytes; the limit is ${MAX_INPUT_BYTES}`);
  return readFileSync(source, 'utf8');
}

function mailPolicy(file: string | undefined, io: MailIo): ResolvedMailPolicy | null {
  const { policy, problems } = loadPolicy(resolve(file ?? referencePolicyPath()));
  if (!policy) {
    for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [${p.code}]`);
    write(io.stderr, `hedgerow: the policy has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was checked`);
    return null;
  }
  if (!policy.mail) {
    write(io.stderr, 'hedgerow: the policy has no `mail` section; nothing was checked');
    return null;
  }
  return policy.mail;
}

/** Active people's names from the people store, when HEDGEROW_DATA has one. */
function rosterNames(io: MailIo): string[] {
  const dir = dataDirectory(io.env);
  if (!existsSync(databasePath(dir))) return [];
  const store = PeopleStore.open(dir);
  try {
    return store.list().map((person) => person.displayName);
  } finally {
    store.close();
  }
}

async function checkOoo(args: string[], io: MailIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { policy: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('check-ooo takes one FILE, or - for standard input');
  const text = await readInput(positionals[0]!, io.stdin);
  const mail = mailPolicy(values.policy, io);
  if (!mail) return 2;
  if (!mail.outOfOffice) {
    write(io.stderr, 'hedgerow: the policy defines no out-of-office statement (`mail.outOfOffice`); nothing was checked');
    return 2;
  }
  const result = checkOutOfOffice(text, mail);
  const cite = result.clauses.length > 0 ? ` (clause ${result.clauses.join(', ')})` : '';
  if (values.json) write(io.stdout, JSON.stringify(result));
  else if (result.compliant) write(io.stdout, `compliant: the Freedom of Information statement is there${cite}`);
  else write(io.stdout, [`not compliant${cite}:`, ...result.findings.map((f) => `  - ${f.text}`)].join('\n'));
  return result.compliant ? 0 : 1;
}

async function checkSubject(args: string[], io: MailIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { policy: { type: 'string' }, names: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('check-subject takes the subject as one argument (quote it)');
  const extra = values.names ? (await readInput(values.names, io.stdin)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')) : [];
  const mail = mailPolicy(values.policy, io);
  if (!mail) return 2;
  const result = new SubjectChecker(mail, [...rosterNames(io), ...extra]).check(positionals[0]!);
  const cite = result.clauses.length > 0 ? ` (clause ${result.clauses.join(', ')})` : '';
  if (values.json) write(io.stdout, JSON.stringify(result));
  else if (result.compliant) write(io.stdout, `compliant: no personal data found${cite}`);
  else {
    write(
      io.stdout,
      [
        `not compliant${cite}:`,
        ...result.findings.map((f) => `  - ${f.text}`),
        `  subject as it would be recorded: ${result.redacted}`,
        '  an exception needs the approval of the Information Asset Owner (POST /api/mail/subject-exceptions)',
      ].join('\n'),
    );
  }
  return result.compliant ? 0 : 1;
}

export async function mailCommand(args: string[], io: MailIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'check-ooo':
        return await checkOoo(rest, io);
      case 'check-subject':
        return await checkSubject(rest, io);
      case 'help':
      case '--help':
      case '-h':
        write(io.stdout, MAIL_USAGE);
        return 0;
      default:
        throw new UsageError(sub ? `unknown mail command \`${sub}\`` : 'mail needs a command: check-ooo or check-subject');
    }
  } catch (error) {
    if (error instanceof InputError) {
      write(io.stderr, `hedgerow: ${error.message}`);
      return 2;
    }
    // parseArgs reports unknown options and missing values with a code of its own
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      write(io.stderr, `hedgerow: ${(error as Error).message}\n\n${MAIL_USAGE}`);
      return 2;
    }
    throw error;
  }
}
