// Reading an uploaded file within the policy's limit. A declared length over the limit is
// refused before a byte is read; a body without one (chunked) is counted as it arrives and
// refused the moment it passes the limit, so an oversize upload is never held in memory whole.
import { HedgerowError } from '../../errors/index.ts';
import { tooLarge } from './incident-store.ts';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

interface EventStream {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
}

function isEventStream(value: unknown): value is EventStream {
  const v = value as Partial<EventStream> | null;
  return typeof v === 'object' && v !== null && typeof v.on === 'function' && typeof v.off === 'function' && typeof v.pause === 'function';
}

// NOTE: leaving a `for await` early destroys the stream, and with it the request's socket, so the
// 413 could never be sent. Listening and pausing stops reading but keeps the connection for the answer.
function readStream(stream: EventStream, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: unknown) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
      total += bytes.length;
      if (total > maxBytes) {
        stop();
        stream.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, total));
    };
    const onError = (error: unknown) => {
      stop();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** Refuses at once when the request says it is longer than `maxBytes`. */
export function checkDeclaredLength(contentLength: string | string[] | undefined, maxBytes: number): void {
  const value = Array.isArray(contentLength) ? contentLength[0] : contentLength;
  if (value === undefined || value === '') return;
  const length = Number(value);
  if (Number.isFinite(length) && length > maxBytes) throw tooLarge(maxBytes);
}

/**
 * The body as bytes: a Buffer parsed already (checked against the limit), or a stream read up to
 * the limit. Anything else (text a parser decoded) is refused, as decoding would have changed it.
 */
export async function readEvidenceBody(body: unknown, maxBytes: number): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) {
    if (body.length > maxBytes) throw tooLarge(maxBytes);
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  if (isEventStream(body)) return readStream(body, maxBytes);
  if (isAsyncIterable(body)) {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
      total += bytes.length;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(bytes);
    }
    return Buffer.concat(chunks, total);
  }
  throw new HedgerowError('HR_API_MEDIA_TYPE', 'send the evidence as application/octet-stream, the file itself as the body');
}
