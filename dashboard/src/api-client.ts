// Every call the dashboard makes goes through here: JSON in and out, the session's CSRF token on
// state-changing requests, and the API's coded errors turned into one error type the pages show.
export interface Problem {
  field?: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[];
  /** the whole error object, for pages that read extra fields (the monitoring purposes) */
  readonly detail: Record<string, unknown>;

  constructor(status: number, code: string, message: string, problems: Problem[], detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problems = problems;
    this.detail = detail;
  }
}

let csrfToken = '';
const signedOutListeners = new Set<(reason: string) => void>();

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any request finds the session gone (idle timeout, signed out elsewhere). */
export function onSignedOut(listener: (reason: string) => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problemsOf(value: unknown): Problem[] {
  if (!Array.isArray(value)) return [];
  const out: Problem[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push({ message: item });
    else if (isRecord(item) && typeof item.message === 'string') {
      out.push(typeof item.field === 'string' ? { field: item.field, message: item.message } : { message: item.message });
    }
  }
  return out;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy in front of Hedgerow, or a crash, may answer with HTML.
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const code = typeof error.code === 'string' ? error.code : `HTTP_${response.status}`;
  const message =
    typeof error.message === 'string'
      ? error.message
      : response.status === 429
        ? 'too many attempts; wait a little and try again'
        : `the server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message, problemsOf(error.problems), error);
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** send this text as is, with this content type (the roster CSV) */
  raw?: { text: string; contentType: string };
  /** a 401 here is an answer (wrong password), not a lost session */
  expectSignedOut?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | undefined;
  if (options.raw) {
    headers['content-type'] = options.raw.contentType;
    payload = options.raw.text;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(payload !== undefined ? { body: payload } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'HTTP_UNREACHABLE', 'Hedgerow cannot be reached; check the connection and try again', []);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.expectSignedOut) {
      for (const listener of signedOutListeners) listener(error.message);
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return (await response.text()) as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal ? { signal } : {}),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body, options),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};

/** `/api/x?a=1&b=2`, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
