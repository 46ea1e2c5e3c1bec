// Zod's findings on a request, as the API's problems: one per issue, each naming its field
// (`scope.groups[0]`) and saying in plain words what is wrong.
import type { z } from 'zod';
import type { ApiProblem } from './api-error.ts';

function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? prefix : text;
}

function sizeWord(origin: string, count: number | bigint): string {
  if (origin === 'string') return `${count} character${count === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${count} item${count === 1 ? '' : 's'}`;
  return String(count);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// NOTE: zod leaves the offending input out of its issues, so a missing field is told apart from
// a wrong one by looking the path up in what was sent.
function describe(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (valueAt(input, issue.path) === undefined) return 'is required';
      return `must be ${issue.expected === 'number' || issue.expected === 'int' ? 'a number' : issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'an object' : issue.expected === 'boolean' ? 'true or false' : `a ${issue.expected}`}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'date'
        ? `must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}`
        : `must have at least ${sizeWord(issue.origin, issue.minimum as number)}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'date'
        ? `must be ${issue.inclusive === false ? 'below' : 'at most'} ${String(issue.maximum)}`
        : `must have at most ${sizeWord(issue.origin, issue.maximum as number)}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => `\`${String(v)}\``).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
    case 'invalid_union':
      return 'does not match any allowed form';
    case 'invalid_format':
      // a regex's own message says what the format is; zod's default for it does not
      return /^invalid/i.test(issue.message) ? `must be a valid ${issue.format === 'regex' ? 'value' : issue.format}` : issue.message;
    default: {
      const message = issue.message.replace(/\.$/, '');
      return message.charAt(0).toLowerCase() + message.slice(1);
    }
  }
}

/** Parses one part of a request; the value, or the problems (`prefix` names the part when a path is empty). */
export function parsePart(schema: z.ZodType | undefined, value: unknown, prefix: string): { value: unknown; problems: ApiProblem[] } {
  if (!schema) return { value, problems: [] };
  const result = schema.safeParse(value);
  if (result.success) return { value: result.data, problems: [] };
  return {
    value: undefined,
    problems: result.error.issues.map((issue) => ({ field: fieldPath(prefix, issue.path), message: describe(issue, value) })),
  };
}
