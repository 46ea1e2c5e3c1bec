// Writing the proxy's own answers: to an HTTP response, or as raw bytes on a socket (CONNECT
// and upgrade requests have no ServerResponse).
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { renderErrorPage, renderErrorText, type ErrorPageInput } from './error-page.ts';

const htmlType = 'text/html; charset=utf-8';
const textType = 'text/plain; charset=utf-8';

/** Pages must never be cached as the origin's content, nor framed, nor run scripts. */
function pageHeaders(type: string, length: number, extra: readonly string[]): string[] {
  return [
    'Content-Type', type,
    'Content-Length', String(length),
    'Cache-Control', 'no-store',
    'X-Content-Type-Options', 'nosniff',
    'Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'Referrer-Policy', 'no-referrer',
    ...extra,
  ];
}

export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

export function sendBody(res: ServerResponse, status: number, body: string, html: boolean, extraHeaders: readonly string[] = []): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const buffer = Buffer.from(body, 'utf8');
  res.writeHead(status, pageHeaders(html ? htmlType : textType, buffer.length, extraHeaders));
  res.end(buffer);
}

export function sendError(res: ServerResponse, page: ErrorPageInput, html: boolean, extraHeaders: readonly string[] = []): void {
  sendBody(res, page.status, html ? renderErrorPage(page) : renderErrorText(page), html, extraHeaders);
}

/** A whole HTTP/1.1 response written on a raw socket, which is then closed. */
export function writeRawResponse(socket: Socket, status: number, body: string, extraHeaders: readonly string[] = [], html = false): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const buffer = Buffer.from(body, 'utf8');
  const headers = pageHeaders(html ? htmlType : textType, buffer.length, [...extraHeaders, 'Connection', 'close']);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), buffer]));
  // a client that never reads must not keep the socket
  socket.setTimeout(5_000, () => socket.destroy());
}
