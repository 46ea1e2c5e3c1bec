// One error type for the whole project: a stable code, a human message and, for input errors,
// where the problem is. The table of codes lives in `codes.ts` and `docs/errors.md`; a test keeps
// the two in step.
export { errorCodes, type ErrorCode } from './codes.ts';
import type { ErrorCode } from './codes.ts';

export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** dotted path of the field (`rules[3].what.categories[0]`) */
  field?: string;
}

export class HedgerowError extends Error {
  readonly code: ErrorCode;
  readonly where: SourceLocation | undefined;
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: { where?: SourceLocation; httpStatus?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HedgerowError';
    this.code = code;
    this.where = options.where;
    this.httpStatus = options.httpStatus;
  }

  /** `file:line:column: field: message` — the form every CLI prints */
  override toString(): string {
    return `${formatLocation(this.where)}${this.message}`;
  }

  toJSON(): { code: string; message: string; where?: SourceLocation } {
    return this.where ? { code: this.code, message: this.message, where: this.where } : { code: this.code, message: this.message };
  }
}

export function formatLocation(where: SourceLocation | undefined): string {
  if (!where) return '';
  let text = '';
  if (where.file) {
    text += where.file;
    if (where.line !== undefined) {
      text += `:${where.line}`;
      if (where.column !== undefined) text += `:${where.column}`;
    }
    text += ': ';
  } else if (where.line !== undefined) {
    text += `line ${where.line}: `;
  }
  if (where.field) text += `${where.field}: `;
  return text;
}

export function isHedgerowError(value: unknown): value is HedgerowError {
  return value instanceof HedgerowError;
}
