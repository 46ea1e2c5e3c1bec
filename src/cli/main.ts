// The `hedgerow` command. Each subcommand parses its own flags with node's parseArgs and reports
// usage errors with exit code 2, input problems with exit code 1.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatLocation, HedgerowError } from '../errors/index.ts';
import { formatCoverage, lintPolicy, loadPolicy, policyCoverage, policyJsonSchema } from '../policy/index.ts';
import { catalogueStats, importList, listFormats, loadCatalogue, whichHost, type ListFormat } from '../catalog/index.ts';
import { normaliseTarget } from '../engine/index.ts';
import { dataDirectory, loadEngine, referencePolicyPath } from '../runtime/index.ts';
import { loadConfig } from '../config/index.ts';
import { startHedgerow } from '../server/index.ts';
import { logsCommand } from '../store/index.ts';
import { caCommand } from '../proxy/index.ts';
import { devicesCommand, peopleCommand } from '../identity/index.ts';
import { mailCommand } from '../mail/index.ts';
import { decisionJson, formatDecision, runBatch, runInteractive, toQuery, type CheckRequest } from './check.ts';
import { usersCommand } from './users-command.ts';
import { auditCommand } from './audit-command.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

const USAGE = `hedgerow — a school's written e-safety policy, enforced

Usage:
  hedgerow start [--config FILE] [--policy FILE]
                                         start the proxy (127.0.0.1:3128), DNS filter (127.0.0.1:5353)
                                         and block page/PAC/health service (127.0.0.1:8080)
  hedgerow check URL --role ROLE [--age N] [--group G]… [--at ISO-8601] [--policy FILE] [--json]
  hedgerow check --batch [--policy FILE] JSON lines on stdin → one decision per line on stdout
  hedgerow check                         interactive: type ROLE URL [TIME]
  hedgerow policy lint FILE              every problem with file:line:column and field; exit 1 if any
  hedgerow policy schema                 the policy file's JSON Schema (for editors)
  hedgerow policy coverage [--policy FILE]   every clause and how it is carried out
  hedgerow lists import PATH --format ut1|hosts|adblock|domains|tsv [--category NAME] [--name NAME]
  hedgerow lists stats                   what the catalogue holds
  hedgerow lists which HOST              which catalogue entries match a host
  hedgerow ca create [--name NAME] [--days N] [--force] / hedgerow ca show
                                         the school CA for TLS inspection (install its certificate on devices)
  hedgerow people import FILE [--policy FILE]   load the roster CSV (name, username, role, year group, date of birth)
  hedgerow people list [--role R] [--group G] [--json] / hedgerow people set-password USERNAME (from stdin)
  hedgerow people sync [--config FILE] [--policy FILE] [--json]   bring people in from the directory (ldap in hedgerow.yaml)
  hedgerow devices add DEVICE USERNAME / devices remove DEVICE / devices list USERNAME
  hedgerow users add --username U --name "Full Name" --role ROLE [--password-file FILE]
                                         a dashboard account (the first one: --role headteacher)
  hedgerow users list / users disable USERNAME / users enable USERNAME / users passwd USERNAME
  hedgerow mail check-ooo FILE|- [--json]      the out-of-office text has the FOI statement? (exit 0/1)
  hedgerow mail check-subject TEXT [--json]    a calendar subject free of personal data? (exit 0/1)
  hedgerow logs tail [-n N] [--follow]   the newest decisions
  hedgerow logs search [--user U] [--host H] [--from ISO] [--to ISO] [--action A] [--json]
  hedgerow audit verify [--data DIR | --database URL] [--expect-head HASH] [--json]
                                         check the audit log's hash chain (exit 0 whole, 1 broken)

State lives in HEDGEROW_DATA (default ./data). Without --policy, the reference policy is used.
`;

class UsageError extends Error {}

function parse<const T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs<T>(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        write(io.stdout, USAGE);
        return command === undefined ? 2 : 0;
      case 'check':
        return await checkCommand(rest, io);
      case 'policy':
        return policyCommand(rest, io);
      case 'lists':
        return listsCommand(rest, io);
      case 'start':
        return await startCommand(rest, io);
      case 'logs':
        return await logsCommand(rest, io);
      case 'ca':
        return await caCommand(rest, io);
      case 'people':
        return await peopleCommand(rest, io);
      case 'devices':
        return await devicesCommand(rest, io);
      case 'users':
        return await usersCommand(rest, io);
      case 'mail':
        return await mailCommand(rest, io);
      case 'audit':
        return await auditCommand(rest, io);
      default:
        throw new UsageError(`unknown command \`${command}\``);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      write(io.stderr, `hedgerow: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof HedgerowError) {
      write(io.stderr, `hedgerow: ${error.code}: ${formatLocation(error.where)}${error.message}`);
      return error.code === 'HR_CLI_USAGE' ? 2 : 1;
    }
    throw error;
  }
}

function engineOrExit(policyFile: string | undefined, io: CliIo) {
  const loaded = loadEngine({ dataDir: dataDirectory(io.env), ...(policyFile ? { policyFile } : {}) });
  if (!loaded.engine) {
    for (const problem of loaded.problems) write(io.stderr, `${formatLocation(problem.where)}${problem.message} [${problem.code}]`);
    write(io.stderr, `hedgerow: the policy has ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}; nothing was decided`);
    return null;
  }
  return loaded.engine;
}

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse({ args: args, options: {
    role: { type: 'string' },
    age: { type: 'string' },
    group: { type: 'string', multiple: true },
    at: { type: 'string' },
    policy: { type: 'string' },
    json: { type: 'boolean' },
    batch: { type: 'boolean' },
  }, allowPositionals: true, strict: true });
  if (values.batch) {
    if (positionals.length > 0) throw new UsageError('--batch reads URLs from standard input; give no URL');
    const engine = engineOrExit(values.policy, io);
    if (!engine) return 1;
    await runBatch(engine, io.stdin, io.stdout, io.now);
    return 0;
  }
  if (positionals.length === 0) {
    const engine = engineOrExit(values.policy, io);
    if (!engine) return 1;
    await runInteractive(engine, io.now);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('give one URL (quote URLs with `&` or spaces)');
  if (!values.role) throw new UsageError('--role is required');
  let age: number | undefined;
  if (values.age !== undefined) {
    age = Number(values.age);
    if (!/^\d+$/.test(values.age)) throw new UsageError('--age must be a whole number of years');
  }
  const engine = engineOrExit(values.policy, io);
  if (!engine) return 1;
  const request: CheckRequest = { url: positionals[0]!, role: values.role };
  if (age !== undefined) request.age = age;
  if (values.group) request.groups = values.group;
  if (values.at) request.at = values.at;
  const query = toQuery(engine, request, io.now);
  const decision = engine.decide(query);
  write(io.stdout, values.json ? JSON.stringify(decisionJson(decision, query.at)) : formatDecision(decision, engine, query.at));
  return 0;
}

function policyCommand(args: string[], io: CliIo): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'lint': {
      const { values, positionals } = parse({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('policy lint takes one FILE');
      const problems = lintPolicy(positionals[0]!);
      if (values.json) write(io.stdout, JSON.stringify({ ok: problems.length === 0, problems }));
      else {
        for (const p of problems) write(io.stdout, `${formatLocation(p.where)}${p.message} [${p.code}]`);
        write(problems.length === 0 ? io.stdout : io.stderr, problems.length === 0 ? `${positionals[0]}: no problems` : `${problems.length} problem${problems.length === 1 ? '' : 's'}`);
      }
      return problems.length === 0 ? 0 : 1;
    }
    case 'schema':
      parse({ args: rest, options: {}, allowPositionals: false, strict: true });
      write(io.stdout, JSON.stringify(policyJsonSchema(), null, 2));
      return 0;
    case 'coverage': {
      const { values } = parse({ args: rest, options: { policy: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: false, strict: true });
      const { policy, problems } = loadPolicy(values.policy ?? referencePolicyPath());
      if (!policy) {
        for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [${p.code}]`);
        return 1;
      }
      const rows = policyCoverage(policy);
      write(io.stdout, values.json ? JSON.stringify(rows, null, 2) : formatCoverage(rows));
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown policy command \`${sub}\`` : 'policy needs a command: lint, schema or coverage');
  }
}

function listsCommand(args: string[], io: CliIo): number {
  const [sub, ...rest] = args;
  const dataDir = dataDirectory(io.env);
  switch (sub) {
    case 'import': {
      const { values, positionals } = parse({ args: rest, options: { format: { type: 'string' }, category: { type: 'string' }, name: { type: 'string' } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('lists import takes one PATH');
      if (!values.format || !(listFormats as readonly string[]).includes(values.format)) throw new UsageError(`--format must be one of ${listFormats.join(', ')}`);
      const report = importList(dataDir, positionals[0]!, {
        format: values.format as ListFormat,
        ...(values.category ? { category: values.category } : {}),
        ...(values.name ? { name: values.name } : {}),
      });
      for (const problem of report.skipped.slice(0, 50)) write(io.stderr, `${problem.file}:${problem.line}: ${problem.message}: \`${problem.text.slice(0, 80)}\``);
      if (report.skipped.length > 50) write(io.stderr, `… and ${report.skipped.length - 50} more skipped lines`);
      write(
        io.stdout,
        `imported list \`${report.name}\`: ${report.domains} domains, ${report.ips} IP addresses, ${report.exactOnly} public-suffix entries matched exactly; ${report.skipped.length} lines skipped; catalogue rebuilt in ${Math.round(report.buildMs)} ms`,
      );
      return 0;
    }
    case 'stats': {
      const { values } = parse({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: false, strict: true });
      const { catalogue, loadMs, fromSnapshot } = loadCatalogue(dataDir);
      const stats = catalogueStats(catalogue, dataDir);
      if (values.json) write(io.stdout, JSON.stringify({ ...stats, loadMs, fromSnapshot }));
      else write(io.stdout, `${JSON.stringify(stats, null, 2)}\nloaded in ${loadMs.toFixed(1)} ms (${fromSnapshot ? 'from snapshot' : 'rebuilt'})`);
      return 0;
    }
    case 'which': {
      const { values, positionals } = parse({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('lists which takes one HOST');
      const target = normaliseTarget(positionals[0]!);
      if (target.error) throw new HedgerowError('HR_ENGINE_URL', `\`${positionals[0]}\`: ${target.error}`);
      const { catalogue } = loadCatalogue(dataDir);
      const matches = whichHost(catalogue, target.host);
      if (values.json) write(io.stdout, JSON.stringify({ host: target.host, matches }));
      else if (matches.length === 0) write(io.stdout, `${target.host}: not in the catalogue`);
      else {
        for (const m of matches) {
          write(io.stdout, `${m.entry}${m.exactOnly ? ' (exact only)' : ''}: ${m.sourceCategories.join(', ')} — lists ${m.lists.join(', ')}${m.minimumAge !== undefined ? `; minimum age ${m.minimumAge}` : ''}`);
        }
      }
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown lists command \`${sub}\`` : 'lists needs a command: import, stats or which');
  }
}

async function startCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse({ args, options: { policy: { type: 'string' }, config: { type: 'string' } }, allowPositionals: false, strict: true });
  const env = { ...io.env, ...(values.policy ? { HEDGEROW_POLICY: values.policy } : {}) };
  const { config, problems, file } = loadConfig({ env, ...(values.config ? { file: values.config } : {}) });
  if (!config) {
    for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [HR_CONFIG_INVALID]`);
    write(io.stderr, `hedgerow: the configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was started`);
    return 1;
  }
  if (file) write(io.stdout, `configuration: ${file}`);
  const running = await startHedgerow(config, { now: io.now, log: (line) => write(io.stdout, line) });
  write(io.stdout, 'Hedgerow is running. SIGHUP reloads the policy; SIGTERM or Ctrl-C stops.');
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      write(io.stdout, `${signal}: draining connections and flushing the decision log`);
      process.off('SIGHUP', hangup);
      running.close().then(resolveStop, (error: unknown) => {
        write(io.stderr, `hedgerow: error while stopping: ${(error as Error).message}`);
        resolveStop();
      });
    };
    const hangup = () => running.reload();
    process.on('SIGHUP', hangup);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
