// The forward proxy: HTTP/1.1 absolute-form requests, CONNECT tunnels with SNI checks, WebSocket
// upgrades; block, warn and error pages.
export { startProxy, type ForwardProxy } from './forward-proxy.ts';
export { defaultLimits, defaultForbiddenTargets, validateOptions, type DecideFunction, type InspectionOptions, type ProxyLimits, type ProxyOptions } from './options.ts';
export type { ProxyStats } from './context.ts';
export { renderBlockPage, renderWarnPage, continuePath, type BlockPageInput, type WarnPageInput } from './block-page.ts';
export { renderErrorPage, renderErrorText, type ErrorPageInput } from './error-page.ts';
export { escapeHtml } from './html.ts';
export { extractSni, type SniResult } from './sni.ts';
export { extractSearchTerm } from './search-term.ts';
export { parseProxyAuthorization, type ProxyCredentials } from './proxy-auth.ts';
export { requestHeaders, responseHeaders, viaValue } from './hop-by-hop.ts';
export { parseHttpTarget, parseConnectTarget, type HttpTarget, type ConnectTarget } from './target.ts';
export { createCertificateAuthority, certificateFingerprint, defaultCaName, LeafIssuer, type CaFiles, type CreateCaOptions, type LeafIssuerOptions, type LeafStats } from './certificate-authority.ts';
export { applySafeSearch, searchEngineOf, type SafeSearchRewrite, type SearchEngine } from './safe-search.ts';
export { caCommand, caDirectory, readCertificateAuthority, CA_USAGE, type CaIo } from './ca-command.ts';
export { cachedResolver, type ResolveCacheOptions } from './resolve-cache.ts';
export { ConnectionCaps, refusedPagesPerClient, refusedPagesTotal, type Admission } from './connection-caps.ts';
