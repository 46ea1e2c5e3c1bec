import { existsSync, readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { parseDocument, LineCounter, isNode } from 'yaml';
import { HedgerowError, formatLocation, type SourceLocation } from '../errors/index.ts';
import { configSchema, type HedgerowConfig } from './schema.ts';

export interface ConfigProblem {
  message: string;
  where: SourceLocation;
}

/** Environment variables that override the file, for containers and tests. */
const ENV_OVERRIDES: Array<{ name: string; path: string[]; kind: 'string' | 'port' | 'boolean' }> = [
  { name: 'HEDGEROW_POLICY', path: ['policy'], kind: 'string' },
  { name: 'HEDGEROW_DATA', path: ['dataDir'], kind: 'string' },
  { name: 'HEDGEROW_DATABASE_URL', path: ['database'], kind: 'string' },
  { name: 'HEDGEROW_PROXY_HOST', path: ['proxy', 'host'], kind: 'string' },
  { name: 'HEDGEROW_PROXY_PORT', path: ['proxy', 'port'], kind: 'port' },
  { name: 'HEDGEROW_DNS_HOST', path: ['dns', 'host'], kind: 'string' },
  { name: 'HEDGEROW_DNS_PORT', path: ['dns', 'port'], kind: 'port' },
  { name: 'HEDGEROW_DNS_ENABLED', path: ['dns', 'enabled'], kind: 'boolean' },
  { name: 'HEDGEROW_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { name: 'HEDGEROW_HTTP_PORT', path: ['http', 'port'], kind: 'port' },
];

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Read the configuration: the file named by `HEDGEROW_CONFIG` (or `file`), else `./hedgerow.yaml`
 * when present, else defaults; then environment overrides. Every problem is returned at once.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): { config: HedgerowConfig | null; problems: ConfigProblem[]; file: string | null } {
  const env = options.env ?? process.env;
  const named = options.file ?? env.HEDGEROW_CONFIG;
  const file = named ? resolve(named) : existsSync('hedgerow.yaml') ? resolve('hedgerow.yaml') : null;
  const problems: ConfigProblem[] = [];
  let raw: Record<string, unknown> = {};
  let locate = (path: readonly PropertyKey[]): SourceLocation => ({ ...(file ? { file } : {}), field: path.map(String).join('.') });
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      return { config: null, problems: [{ message: `cannot read the configuration: ${(error as Error).message}`, where: { file } }], file };
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
    for (const error of doc.errors) {
      const pos = lineCounter.linePos(error.pos[0]);
      problems.push({ message: error.message.split('\n')[0]!.toLowerCase(), where: { file, line: pos.line, column: pos.col } });
    }
    if (problems.length > 0) return { config: null, problems, file };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // the yaml library refuses aliases that would expand without bound ("billion laughs")
      return { config: null, problems: [{ message: `the configuration cannot be expanded: ${(error as Error).message.split('\n')[0]!.toLowerCase()}`, where: { file } }], file };
    }
    if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
      return { config: null, problems: [{ message: 'the configuration must be a mapping', where: { file } }], file };
    }
    raw = (value as Record<string, unknown>) ?? {};
    locate = (path) => {
      const keys = path.filter((p): p is string | number => typeof p !== 'symbol');
      for (let depth = keys.length; depth >= 0; depth--) {
        const node = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
        if (isNode(node) && node.range) {
          const pos = lineCounter.linePos(node.range[0]);
          return { file, line: pos.line, column: pos.col, field: keys.map(String).join('.') };
        }
      }
      return { file, field: keys.map(String).join('.') };
    };
  }
  for (const override of ENV_OVERRIDES) {
    const value = env[override.name];
    if (value === undefined || value === '') continue;
    if (override.kind === 'port') {
      if (!/^\d+$/.test(value) || Number(value) > 65535) {
        problems.push({ message: `\`${value}\` is not a port number`, where: { field: override.name } });
        continue;
      }
      setIn(raw, override.path, Number(value));
    } else if (override.kind === 'boolean') {
      setIn(raw, override.path, value === '1' || value === 'true' || value === 'yes');
    } else {
      setIn(raw, override.path, value);
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ message: issue.message.toLowerCase(), where: locate(issue.path) });
  }
  if (problems.length > 0 || !parsed.success) return { config: null, problems, file };
  const config = parsed.data;
  // Relative paths in a configuration file are relative to that file.
  if (file) {
    if (config.policy) config.policy = resolve(dirname(file), config.policy);
    if (config.dataDir) config.dataDir = resolve(dirname(file), config.dataDir);
  }
  for (const client of config.proxy.allowedClients) {
    if (/\/0$/.test(client)) problems.push({ message: `\`${client}\` would make an open proxy; list the school's networks`, where: locate(['proxy', 'allowedClients']) });
  }
  return problems.length > 0 ? { config: null, problems, file } : { config: deepFreeze(config), problems, file };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function configError(problems: ConfigProblem[]): HedgerowError {
  return new HedgerowError('HR_CONFIG_INVALID', problems.map((p) => `${formatLocation(p.where)}${p.message}`).join('\n'));
}
