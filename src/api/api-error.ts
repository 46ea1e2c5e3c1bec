// How any failure becomes the API's one error shape:
// `{ "error": { "code", "message", "problems": [{ "field", "message" }] } }`, with the code's HTTP
// status. Unexpected failures answer 500 with a fixed message; their details go to the log only.
import { errorCodes, HedgerowError, type ErrorCode } from '../errors/index.ts';

export interface ApiProblem {
  field: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; problems?: ApiProblem[] };
}

/** A coded error carrying several problems (input errors, a refused policy edit's lint lines). */
export class ApiError extends HedgerowError {
  readonly problems: ApiProblem[];

  constructor(code: ErrorCode, message: string, problems: ApiProblem[] = [], options: { httpStatus?: number; cause?: unknown } = {}) {
    super(code, message, options);
    this.problems = problems;
  }
}

export interface ApiErrorAnswer {
  status: number;
  body: ApiErrorBody;
  headers: Record<string, string>;
  /** true when the failure was not a coded one and should be logged */
  unexpected: boolean;
}

function isProblemList(value: unknown): value is ApiProblem[] {
  return Array.isArray(value) && value.every((p) => typeof p === 'object' && p !== null && typeof (p as ApiProblem).message === 'string');
}

// Fastify's own request errors, by code.
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'HR_API_TOO_LARGE', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'HR_API_MEDIA_TYPE', message: 'the request body is of a content type this route does not accept' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'HR_API_INPUT', message: 'the request body is not as long as its content-length says' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'HR_API_INPUT', message: 'the request says it has a JSON body but it is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'HR_API_INPUT', message: 'the request body is not valid JSON' },
};

export function toApiError(error: unknown): ApiErrorAnswer {
  if (error instanceof HedgerowError) {
    const status = error.httpStatus ?? (errorCodes[error.code] as { status?: number }).status ?? 500;
    const carried: unknown = (error as unknown as { problems?: unknown }).problems;
    const problems = isProblemList(carried)
      ? carried.map((p) => ({ field: typeof p.field === 'string' ? p.field : '', message: p.message }))
      : error.where?.field
        ? [{ field: error.where.field, message: error.message }]
        : [];
    const headers: Record<string, string> = {};
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof retryAfterMs === 'number' && retryAfterMs > 0) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    const body: ApiErrorBody = { error: { code: error.code, message: error.message } };
    if (problems.length > 0) body.error.problems = problems;
    return { status: status >= 400 && status < 600 ? status : 500, body, headers, unexpected: status >= 500 };
  }
  const fastifyCode = (error as { code?: unknown })?.code;
  const known = typeof fastifyCode === 'string' ? FASTIFY_CODES[fastifyCode] : undefined;
  if (known) {
    return { status: errorCodes[known.code].status, body: { error: { code: known.code, message: known.message } }, headers: {}, unexpected: false };
  }
  // JSON syntax errors and other 4xx from the framework: the client's fault, told plainly
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code: ErrorCode = statusCode === 404 ? 'HR_API_NOT_FOUND' : statusCode === 413 ? 'HR_API_TOO_LARGE' : statusCode === 415 ? 'HR_API_MEDIA_TYPE' : 'HR_API_INPUT';
    return { status: errorCodes[code].status, body: { error: { code, message: 'the request could not be understood' } }, headers: {}, unexpected: false };
  }
  return {
    status: 500,
    body: { error: { code: 'HR_API_INTERNAL', message: 'the server could not complete the request; the details are in its log' } },
    headers: {},
    unexpected: true,
  };
}
