// Basic authentication on the proxy connection (RFC 9110 §11.7.1, RFC 7617).

export interface ProxyCredentials {
  username: string;
  password: string;
}

/** null when absent, not Basic, or not decodable */
export function parseProxyAuthorization(value: string | undefined): ProxyCredentials | null {
  if (!value) return null;
  const m = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(value);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function proxyAuthenticateValue(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
}
