// Opening a connection to the directory and naming its failures, the same way for sign-in and
// for the directory sync.
import {
  Client,
  InappropriateAuthError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  UnwillingToPerformError,
} from 'ldapts';
import { HedgerowError } from '../errors/index.ts';
import type { LdapOptions } from './ldap-options.ts';

export const DEFAULT_LDAP_TIMEOUT_MS = 5000;

/** A client with the configured timeouts and TLS, upgraded with StartTLS when asked; not yet bound. */
export async function openLdapClient(options: LdapOptions): Promise<Client> {
  const timeout = options.timeoutMs ?? DEFAULT_LDAP_TIMEOUT_MS;
  const client = new Client({ url: options.url, timeout, connectTimeout: timeout, tlsOptions: options.tls });
  try {
    if (options.startTls) await client.startTLS(options.tls ?? {});
  } catch (error) {
    await client.unbind().catch(() => undefined);
    throw error;
  }
  return client;
}

/** Bind results that mean "these credentials are wrong", not "the directory failed". */
export function isCredentialFailure(error: unknown): boolean {
  return (
    error instanceof InvalidCredentialsError ||
    error instanceof InvalidDNSyntaxError ||
    error instanceof NoSuchObjectError ||
    error instanceof InappropriateAuthError ||
    error instanceof UnwillingToPerformError
  );
}

/** Any failure while talking to the directory, as HR_IDENTITY_DIRECTORY naming the server. */
export function directoryError(options: LdapOptions, error: unknown, context = ''): HedgerowError {
  if (error instanceof HedgerowError) return error;
  const prefix = `ldap \`${options.url}\`: ${context ? `${context}: ` : ''}`;
  return new HedgerowError('HR_IDENTITY_DIRECTORY', `${prefix}${(error as Error)?.message ?? String(error)}`, { cause: error });
}
