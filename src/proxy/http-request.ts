// Plain HTTP through the proxy: absolute-form requests, decided per request, streamed both ways
// over a keep-alive upstream pool.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Decision, Person } from '../engine/types.ts';
import type { ClientConnection, ProxyContext } from './context.ts';
import { clientConnections, graceKey, personFor } from './context.ts';
import { continuePath } from './block-page.ts';
import { decideSafely, sendBlock, sendDecideFailure, sendWarn } from './decision-pages.ts';
import { buildEvent, emit, newEventId } from './events.ts';
import { requestHeaders, responseHeaders } from './hop-by-hop.ts';
import { proxyAuthenticateValue } from './proxy-auth.ts';
import { sendBody, sendError, wantsHtml } from './respond.ts';
import { extractSearchTerm } from './search-term.ts';
import { applySafeSearch } from './safe-search.ts';
import type { SafeSearchLevel } from '../engine/index.ts';
import { parseHttpTarget, type HttpTarget } from './target.ts';
import { UpstreamError, classifyUpstreamError, guardedLookup, type UpstreamFailure } from './upstream.ts';

/** The headers the proxy itself reads, found in one pass over the raw list. */
export interface RequestScan {
  auth: string | undefined;
  accept: string | undefined;
  hasBody: boolean;
  chunked: boolean;
}

export function scanRequest(raw: readonly string[]): RequestScan {
  let auth: string | undefined;
  let accept: string | undefined;
  let hasBody = false;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.length) {
      case 6:
        if (name.toLowerCase() === 'accept') accept = accept === undefined ? raw[i + 1] : `${accept}, ${raw[i + 1]}`;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') hasBody = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          hasBody = true;
          chunked = true;
        }
        break;
      case 19:
        if (name.toLowerCase() === 'proxy-authorization') auth = raw[i + 1];
        break;
    }
  }
  return { auth, accept, hasBody, chunked };
}

export function connectionOf(socket: IncomingMessage['socket']): ClientConnection {
  const conn = clientConnections.get(socket);
  // every socket is registered on 'connection'; a missing entry is never trusted
  return conn ?? { ip: '', allowed: false, authKey: undefined, person: null, personAt: 0 };
}

export function refuseClient(ctx: ProxyContext, res: ServerResponse, html: boolean): void {
  ctx.stats.refusedClients++;
  res.shouldKeepAlive = false;
  sendError(
    res,
    {
      status: 403,
      title: 'This web filter is not for your network',
      message: 'This proxy only serves the networks it is set up for, and your address is not one of them.',
      at: ctx.now(),
      timeZone: ctx.timeZone,
    },
    html,
    ['Connection', 'close'],
  );
}

export function challenge(ctx: ProxyContext, res: ServerResponse, html: boolean): void {
  ctx.stats.authChallenges++;
  sendError(
    res,
    {
      status: 407,
      title: 'Sign in to use the internet',
      message: 'The web filter needs your school username and password before it can open pages.',
      hint: 'If your browser did not ask you to sign in, or your password was not accepted, ask the IT team for help.',
      at: ctx.now(),
      timeZone: ctx.timeZone,
    },
    html,
    ['Proxy-Authenticate', proxyAuthenticateValue(ctx.options.realm ?? 'hedgerow')],
  );
}

export function handleRequest(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const conn = connectionOf(req.socket);
  const raw = req.rawHeaders;
  const scan = scanRequest(raw);
  const html = wantsHtml(scan.accept);
  if (!conn.allowed) return refuseClient(ctx, res, html);
  ctx.stats.requests++;
  if (raw.length > ctx.limits.maxHeaders * 2) {
    ctx.stats.badRequests++;
    res.shouldKeepAlive = false;
    return sendBody(res, 431, 'request has too many header fields\n', false, ['Connection', 'close']);
  }
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 47 /* '/' */) return originForm(ctx, req, res, url, html);
  const target = parseHttpTarget(url);
  if (!target) return badRequest(ctx, res, html, 'The address in the request could not be read.', url);
  if (target.scheme !== 'http') {
    return badRequest(ctx, res, html, `This proxy forwards http:// addresses directly; ${target.scheme}:// must use a CONNECT tunnel.`, url);
  }
  let person: Person | null | Promise<Person | null>;
  try {
    person = personFor(ctx, conn, scan.auth);
  } catch {
    return identifyFailure(ctx, res, html);
  }
  if (person !== null && typeof (person as Promise<Person | null>).then === 'function') {
    // stop reading the body until we know who is asking
    req.pause();
    (person as Promise<Person | null>).then(
      (p) => {
        req.resume();
        decideAndForward(ctx, req, res, conn, target, scan, html, p);
      },
      () => identifyFailure(ctx, res, html),
    );
    return;
  }
  decideAndForward(ctx, req, res, conn, target, scan, html, person as Person | null);
}

function identifyFailure(ctx: ProxyContext, res: ServerResponse, html: boolean): void {
  sendError(
    res,
    {
      status: 503,
      title: 'The filter could not check who you are',
      message: 'The web filter could not look up your account, so it did not open the page.',
      hint: 'Try again in a moment. If this keeps happening, tell the IT team.',
      at: ctx.now(),
      timeZone: ctx.timeZone,
    },
    html,
  );
}

function badRequest(ctx: ProxyContext, res: ServerResponse, html: boolean, message: string, target?: string): void {
  ctx.stats.badRequests++;
  sendError(res, { status: 400, title: 'This request could not be understood', message, ...(target === undefined ? {} : { target }), at: ctx.now(), timeZone: ctx.timeZone }, html);
}

/**
 * A request in origin form (`GET /path`) means a client talking to the proxy as if it were a web
 * site: automatic proxy configuration files and block-page paths go to the block-page service,
 * anything else gets a page explaining how to use the proxy.
 */
function originForm(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, url: string, html: boolean): void {
  const path = url.split('?')[0]!;
  if (path === '/proxy.pac' || path === '/wpad.dat' || path.startsWith('/.hedgerow/')) {
    const base = ctx.options.blockPage.baseUrl.replace(/\/$/, '');
    res.writeHead(302, { Location: `${base}${url}`, 'Content-Length': '0', 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  req.resume();
  badRequest(
    ctx,
    res,
    html,
    'This address is a web filter (a proxy), not a web site. Set it as the proxy in your browser or system settings, or ask the IT team for the automatic configuration address.',
    url,
  );
}

/**
 * Decide one request on its full URL and answer it: block or warn page, or forward it (http://
 * through the plain pool, https:// from an inspected tunnel through the verifying pool).
 */
export function decideAndForward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  conn: ClientConnection,
  target: HttpTarget,
  scan: RequestScan,
  html: boolean,
  person: Person | null,
): void {
  if (person === null) {
    req.resume();
    return challenge(ctx, res, html);
  }
  if (target.path.startsWith(continuePath) && (target.path.length === continuePath.length || target.path[continuePath.length] === '?')) {
    if (req.method === 'POST') return handleContinue(ctx, req, res, conn, target, person, html);
  }
  // The filter's own block-page service: its forms are never filtered; its other pages (the
  // dashboard and API) are not reached through the proxy, which would lend them its address.
  const service = blockPageService(ctx, target);
  if (service === 'forms') return forward(ctx, req, res, target, scan, html, 0, null, true);
  if (service === 'other') {
    req.resume();
    return upstreamFailure(ctx, res, new UpstreamError('loop', `\`${target.authority}\` is a service of this filter`), target, html);
  }
  if (target.ipLiteral) {
    try {
      ctx.guard.checkAddress(target.host, target.port);
    } catch (err) {
      req.resume();
      return upstreamFailure(ctx, res, err, target, html);
    }
  }
  const at = ctx.now();
  const decision = decideSafely(ctx, { person, url: target.href, at, clientIp: conn.ip });
  if (decision === null) {
    req.resume();
    return sendDecideFailure(ctx, res, target.href, html);
  }
  const id = newEventId();
  let warnReason: string | null = null;
  if (decision.action === 'block') {
    ctx.stats.blocked++;
    record(ctx, id, at, person, conn.ip, decision, target, null);
    req.resume();
    return sendBlock(ctx, res, person, decision, target.href, target.host, at, id, html);
  }
  if (decision.action === 'warn') {
    const grace = ctx.grace.get(graceKey(person, conn.ip), target.host, at);
    if (grace === null) {
      ctx.stats.warned++;
      record(ctx, id, at, person, conn.ip, decision, target, null);
      req.resume();
      return sendWarn(ctx, res, person, conn.ip, decision, target.href, target.host, at, id, html);
    }
    ctx.stats.warnContinued++;
    warnReason = grace.reason;
  } else {
    ctx.stats.allowed++;
  }
  record(ctx, id, at, person, conn.ip, decision, target, warnReason);
  const safe = applySafeSearch(target.host, target.path, safeSearchLevel(ctx, person));
  forward(ctx, req, res, safe.path === target.path ? target : { ...target, path: safe.path }, scan, html, 0, safe.youtubeRestrict);
}

const blockPageAuthorities = new WeakMap<ProxyContext, { authority: string; path: string }>();

/** `forms` for the block page's forms (under its base URL's path), `other` for the rest of that service, null for anything else. */
function blockPageService(ctx: ProxyContext, target: HttpTarget): 'forms' | 'other' | null {
  let service = blockPageAuthorities.get(ctx);
  if (service === undefined) {
    try {
      const url = new URL(ctx.options.blockPage.baseUrl);
      service = { authority: `${url.hostname.replace(/^\[|\]$/g, '')}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`, path: url.pathname.replace(/\/+$/, '') };
    } catch {
      service = { authority: '', path: '' };
    }
    blockPageAuthorities.set(ctx, service);
  }
  if (service.authority !== `${target.host}:${target.port}`) return null;
  // a base URL without a path cannot tell the forms from the rest: all of it counts as the forms
  if (service.path === '') return 'forms';
  const path = target.path;
  const under = path.startsWith(service.path) && (path.length === service.path.length || path[service.path.length] === '/' || path[service.path.length] === '?');
  // NOTE: a path with dot segments (`/block/../api/…`) is not the forms, however it might be read
  return under && !/(^|\/)\.\.?(\/|\?|$)|%2e/i.test(path) ? 'forms' : 'other';
}

const strictest: SafeSearchLevel = { engines: 'strict', youtube: 'strict' };
const noSafeSearch: SafeSearchLevel = { engines: 'off', youtube: 'off' };

function safeSearchLevel(ctx: ProxyContext, person: Person): SafeSearchLevel {
  const levelFor = ctx.options.safeSearchFor;
  if (levelFor === undefined) return noSafeSearch;
  try {
    return levelFor(person);
  } catch {
    // fail closed, like the engine
    ctx.stats.decideErrors++;
    return strictest;
  }
}

function record(ctx: ProxyContext, id: string, at: number, person: Person, clientIp: string, decision: Decision, target: HttpTarget, warnReason: string | null): void {
  const sink = ctx.options.sink;
  if (!sink) return;
  const searchTerm = target.path.includes('?') ? extractSearchTerm(target.href) : null;
  const event = buildEvent({ id, at, person, clientIp, decision, host: target.host, url: target.href, searchTerm, warnReason });
  emit(sink, event, () => ctx.stats.sinkErrors++);
}

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

function forward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: HttpTarget,
  scan: RequestScan,
  html: boolean,
  attempt: number,
  youtubeRestrict: string | null,
  toOwnService = false,
): void {
  let headers = requestHeaders(req.rawHeaders, target.authority);
  if (youtubeRestrict !== null) {
    // whatever the client sent is replaced by the person's level
    const kept: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'youtube-restrict') kept.push(headers[i]!, headers[i + 1]!);
    kept.push('YouTube-Restrict', youtubeRestrict);
    headers = kept;
  }
  if (scan.chunked) headers.push('Transfer-Encoding', 'chunked');
  const secure = target.scheme === 'https';
  if (secure && ctx.inspection === null) return badRequest(ctx, res, html, 'https:// addresses must use a CONNECT tunnel.', target.href);
  let up: ReturnType<typeof httpRequest>;
  try {
    const common = {
      host: target.host,
      port: target.port,
      method: req.method,
      path: target.path,
      headers,
      setHost: false,
      lookup: guardedLookup(target.port, ctx.resolve, toOwnService ? { checkAddress: (ip, port) => ctx.guard.checkAddress(ip, port, true) } : ctx.guard),
    };
    up = secure
      ? // the origin's certificate is verified (rejectUnauthorized is node's default and never turned off)
        httpsRequest({ ...common, agent: ctx.inspection!.agent, ...(target.ipLiteral ? {} : { servername: target.host }) })
      : httpRequest({ ...common, agent: ctx.agent });
  } catch {
    // node refuses some paths and header values (control characters)
    req.resume();
    return badRequest(ctx, res, html, 'The request contains characters that cannot be forwarded.', target.href);
  }
  let responded = false;
  up.setTimeout(ctx.limits.upstreamResponseTimeoutMs, () => {
    up.destroy(new UpstreamError('timeout', `\`${target.authority}\` did not answer in time`));
  });
  up.on('response', (upRes) => {
    responded = true;
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes.rawHeaders));
    upRes.pipe(res);
    upRes.on('close', () => {
      // an upstream that stops mid-body must not look like a complete response to the client
      if (!upRes.complete) res.destroy();
    });
  });
  up.on('error', (err) => {
    if (responded) {
      res.destroy();
      return;
    }
    // a kept-alive upstream socket closed by the origin just as it was reused: try once more
    if (attempt === 0 && up.reusedSocket && !scan.hasBody && idempotent.has(req.method ?? '') && classifyUpstreamError(err) === 'reset') {
      forward(ctx, req, res, target, scan, html, 1, youtubeRestrict, toOwnService);
      return;
    }
    if (!req.complete) res.shouldKeepAlive = false;
    upstreamFailure(ctx, res, err, target, html);
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  if (scan.hasBody) req.pipe(up);
  else up.end();
}

export function upstreamPage(failure: UpstreamFailure, host: string): { status: number; title: string; message: string; hint?: string } {
  switch (failure) {
    case 'dns':
      return { status: 502, title: `Could not find ${host}`, message: `The web filter could not find ${host}. The address may be misspelt, or the site may no longer exist.`, hint: 'Check the address and try again.' };
    case 'refused':
      return { status: 502, title: `${host} refused the connection`, message: `${host} is not accepting connections at the moment.`, hint: 'The site may be down. Try again later.' };
    case 'timeout':
      return { status: 504, title: `${host} took too long to answer`, message: `The web filter waited for ${host}, but it did not answer in time.`, hint: 'The site may be busy or down. Try again later.' };
    case 'forbidden':
      return { status: 403, title: 'This address cannot be reached through the filter', message: `${host} points to a network address that the web filter never connects to (for example a device or cloud management address).` };
    case 'loop':
      return {
        status: 403,
        title: 'This address is the web filter itself',
        message: 'The request was addressed to the web filter itself, so it was not forwarded. The filter and its dashboard are never reached through the filter.',
        hint: 'Open the dashboard directly, not through the proxy.',
      };
    case 'reset':
      return { status: 502, title: `${host} closed the connection`, message: `${host} closed the connection before it answered.`, hint: 'Try again. If it keeps happening, the site may be having problems.' };
    case 'certificate':
      return {
        status: 502,
        title: `The identity of ${host} could not be checked`,
        message: `${host} presented a security certificate that the web filter could not verify, so the page was not opened. The site may be set up wrongly, or someone may be interfering with the connection.`,
        hint: 'Do not enter passwords or personal details on this site. If you need it for school work, tell the IT team the address and the time.',
      };
    case 'tls':
      return { status: 502, title: `Could not make a secure connection to ${host}`, message: `The web filter could not agree a secure (https) connection with ${host}.`, hint: 'The site may be using an old or unusual setup. Tell the IT team if you need it.' };
    default:
      return { status: 502, title: `Could not reach ${host}`, message: `The web filter could not get this page from ${host}.`, hint: 'Try again later.' };
  }
}

function upstreamFailure(ctx: ProxyContext, res: ServerResponse, err: unknown, target: HttpTarget, html: boolean): void {
  const failure = classifyUpstreamError(err);
  ctx.stats.upstreamErrors[failure]++;
  const page = upstreamPage(failure, target.host);
  // the filter let the request through (or, for forbidden and loop, refused the address itself)
  sendError(res, { ...page, target: target.href, at: ctx.now(), timeZone: ctx.timeZone }, html, ['X-Hedgerow-Decision', `upstream-error; failure=${failure}`]);
}

/**
 * The warn page's form: POST http://<host>/.hedgerow/continue with the signed token, the URL and
 * a reason. The reason is recorded (a decision event with `warnReason`) and honoured for the host.
 */
function handleContinue(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, conn: ClientConnection, target: HttpTarget, person: Person, html: boolean): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > 16 * 1024) tooBig = true;
    else chunks.push(chunk);
  });
  req.on('end', () => {
    if (tooBig) return badRequest(ctx, res, html, 'The form was too large.');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const now = ctx.now();
    const who = graceKey(person, conn.ip);
    if (!ctx.grace.verify(form.get('token') ?? '', who, target.host, now)) {
      return sendError(
        res,
        { status: 403, title: 'This form has expired', message: 'The warning form was not accepted: it is too old or was not opened from this computer.', hint: 'Go back, reload the page and try again.', at: now, timeZone: ctx.timeZone },
        html,
      );
    }
    const wanted = parseHttpTarget(form.get('url') ?? '');
    if (!wanted || wanted.host !== target.host || wanted.scheme !== target.scheme) return badRequest(ctx, res, html, 'The address in the form does not belong to this site.');
    const decision = decideSafely(ctx, { person, url: wanted.href, at: now, clientIp: conn.ip });
    if (decision === null) return sendDecideFailure(ctx, res, wanted.href, html);
    const reason = (form.get('reason') ?? '').trim().slice(0, 500);
    if (decision.action === 'warn' && reason === '') {
      return sendWarn(ctx, res, person, conn.ip, decision, wanted.href, wanted.host, now, newEventId(), html, 'Please give a reason before continuing.');
    }
    if (decision.action === 'warn') {
      ctx.grace.set(who, target.host, { until: now + ctx.warnGraceMs, reason }, now);
      record(ctx, newEventId(), now, person, conn.ip, decision, wanted, reason);
    }
    res.writeHead(303, { Location: wanted.href, 'Content-Length': '0', 'Cache-Control': 'no-store' });
    res.end();
  });
}
