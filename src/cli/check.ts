// `hedgerow check`: ask the engine about one URL, a batch of JSON lines, or interactively.
import { createInterface } from 'node:readline';
import type { Decision, DecisionQuery, Grant, PolicyEngine } from '../engine/index.ts';
import { compileGrants } from '../engine/index.ts';
import { parseZonedTime } from '../policy/index.ts';
import { HedgerowError } from '../errors/index.ts';

export interface CheckRequest {
  url: string;
  role: string;
  at?: string | number;
  age?: number;
  groups?: string[];
  id?: string;
  grants?: Grant[];
}

/** The decision as printed by `check --json` and `check --batch` (a stable wire shape). */
export function decisionJson(decision: Decision, at: number): Record<string, unknown> {
  return {
    action: decision.action,
    rule: decision.rule,
    clauses: decision.clauses,
    categories: decision.categories,
    reason: decision.reason,
    circumvention: decision.circumvention,
    kind: decision.kind,
    logged: decision.logged,
    layer: decision.layer,
    host: decision.host,
    match: decision.match,
    supersedes: decision.supersedes,
    notes: decision.notes,
    grant: decision.grant,
    policyRevision: decision.policyRevision,
    at: new Date(at).toISOString(),
  };
}

export function timeZoneOf(engine: PolicyEngine): string {
  return engine.policy.calendar?.timeZone ?? 'UTC';
}

/** Turn a request (CLI flags or a batch line) into a query; throws HedgerowError on bad input. */
export function toQuery(engine: PolicyEngine, request: CheckRequest, now: () => number): DecisionQuery {
  if (typeof request.url !== 'string' || request.url === '') throw new HedgerowError('HR_ENGINE_QUERY', '`url` is required and must be a string');
  if (typeof request.role !== 'string' || request.role === '') throw new HedgerowError('HR_ENGINE_QUERY', '`role` is required and must be a string');
  if (engine.roleOf({ role: request.role }) === null) {
    throw new HedgerowError('HR_ENGINE_QUERY', `unknown role \`${request.role}\` (the policy has ${Object.keys(engine.policy.roles).map((r) => `\`${r}\``).join(', ')})`);
  }
  let at: number;
  if (request.at === undefined) at = now();
  else if (typeof request.at === 'number') at = request.at;
  else if (typeof request.at === 'string') at = parseZonedTime(request.at, timeZoneOf(engine));
  else at = Number.NaN;
  if (!Number.isFinite(at)) throw new HedgerowError('HR_ENGINE_QUERY', `\`at\` must be an ISO-8601 time like 2026-11-24T10:15 (got \`${String(request.at)}\`)`);
  if (request.age !== undefined && (typeof request.age !== 'number' || !Number.isInteger(request.age) || request.age < 0 || request.age > 130)) {
    throw new HedgerowError('HR_ENGINE_QUERY', '`age` must be a whole number of years');
  }
  if (request.groups !== undefined && (!Array.isArray(request.groups) || request.groups.some((g) => typeof g !== 'string'))) {
    throw new HedgerowError('HR_ENGINE_QUERY', '`groups` must be an array of group names');
  }
  const query: DecisionQuery = {
    person: {
      role: request.role,
      ...(request.id !== undefined ? { id: request.id } : {}),
      ...(request.groups !== undefined ? { groups: request.groups } : {}),
      ...(request.age !== undefined ? { age: request.age } : {}),
    },
    url: request.url,
    at,
  };
  if (request.grants && request.grants.length > 0) query.grants = compileGrants(request.grants);
  return query;
}

export function formatDecision(decision: Decision, engine: PolicyEngine, at: number): string {
  const lines = [
    `${decision.action.toUpperCase()}  ${decision.host || '(no host)'}`,
    `  reason:     ${decision.reason}`,
    `  rule:       ${decision.rule}${decision.layer ? ` (${decision.layer})` : ''}  [${decision.kind}]`,
  ];
  if (decision.clauses.length > 0) lines.push(`  clauses:    ${decision.clauses.join(', ')}`);
  if (decision.categories.length > 0) lines.push(`  categories: ${decision.categories.join(', ')}`);
  if (decision.match) {
    const age = decision.match.minimumAge !== undefined ? `; minimum age ${decision.match.minimumAge}` : '';
    lines.push(`  matched:    ${decision.match.entry} in ${decision.match.lists.join(', ')} (${decision.match.sourceCategories.join(', ')})${age}`);
  }
  if (decision.circumvention) lines.push('  flagged:    circumvention');
  for (const beaten of decision.supersedes) lines.push(`  overrides:  ${beaten.layer} rule ${beaten.rule} (${beaten.action})`);
  if (decision.notes.length > 0) lines.push(`  notes:      ${decision.notes.join(', ')}`);
  if (engine.calendar) lines.push(`  time:       ${engine.calendar.describe(at)}`);
  lines.push(`  policy:     ${decision.policyRevision}`);
  return lines.join('\n');
}

/** JSON lines in, one decision per line out, in order; a bad line gets an error and the batch goes on. */
export async function runBatch(engine: PolicyEngine, input: NodeJS.ReadableStream, output: NodeJS.WritableStream, now: () => number): Promise<{ lines: number; errors: number }> {
  const reader = createInterface({ input, crlfDelay: Infinity });
  let lines = 0;
  let errors = 0;
  let buffer = '';
  for await (const line of reader) {
    if (line.trim() === '') continue;
    lines++;
    let out: Record<string, unknown>;
    try {
      let request: unknown;
      try {
        request = JSON.parse(line);
      } catch {
        throw new HedgerowError('HR_CLI_USAGE', `line ${lines}: not valid JSON`);
      }
      if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new HedgerowError('HR_CLI_USAGE', `line ${lines}: expected a JSON object`);
      const query = toQuery(engine, request as CheckRequest, now);
      out = decisionJson(engine.decide(query), query.at);
    } catch (error) {
      errors++;
      const e = error instanceof HedgerowError ? error : new HedgerowError('HR_ENGINE_QUERY', (error as Error).message);
      out = { error: { code: e.code, message: e.message, line: lines } };
    }
    buffer += `${JSON.stringify(out)}\n`;
    if (buffer.length > 64 * 1024) {
      if (!output.write(buffer)) await new Promise((r) => output.once('drain', r));
      buffer = '';
    }
  }
  if (buffer !== '') output.write(buffer);
  return { lines, errors };
}

/** A small prompt for trying the policy by hand: `ROLE URL [TIME]`. */
export async function runInteractive(engine: PolicyEngine, now: () => number): Promise<void> {
  const roles = Object.keys(engine.policy.roles).join(', ');
  process.stdout.write(
    `Hedgerow policy check (${engine.policy.layers.map((l) => l.name).join(' → ')})\n` +
      `Type: ROLE URL [TIME]   e.g.  pupil https://www.youtube.com/ 2026-11-24T10:15\n` +
      `Roles: ${roles}\nAdd age=N or group=NAME after the URL. Ctrl-D to leave.\n`,
  );
  const reader = createInterface({ input: process.stdin, output: process.stdout, prompt: 'check> ' });
  reader.prompt();
  for await (const line of reader) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length >= 2) {
      const request: CheckRequest = { role: words[0]!, url: words[1]! };
      for (const word of words.slice(2)) {
        if (word.startsWith('age=')) request.age = Number(word.slice(4));
        else if (word.startsWith('group=')) (request.groups ??= []).push(word.slice(6));
        else request.at = word;
      }
      try {
        const query = toQuery(engine, request, now);
        process.stdout.write(`${formatDecision(engine.decide(query), engine, query.at)}\n`);
      } catch (error) {
        process.stdout.write(`error: ${(error as Error).message}\n`);
      }
    } else if (words.length > 0) {
      process.stdout.write('type a role and a URL, e.g. `teacher youtube.com`\n');
    }
    reader.prompt();
  }
}
