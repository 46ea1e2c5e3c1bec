// Dashboard and API sign-in: accounts with argon2id passwords (or a directory bind), sessions
// with an idle timeout, CSRF tokens, sign-in throttling and the first administrator's setup link.
export { AuthService, ThrottledError, type AuthOptions, type AuthParts, type SessionAccount, type SignInResult } from './auth-service.ts';
export { AccountStore, accountView, type AccountChanges, type AccountView, type ChangeBy, type NewAccountInput } from './account-store.ts';
export { SessionStore, sessionIdOf, DEFAULT_ABSOLUTE_LIFETIME_MS, DEFAULT_IDLE_TIMEOUT_MS, type LiveSession, type NewSessionTokens, type SessionOptions } from './session-store.ts';
export { SignInThrottle, BackoffThrottle, USERNAME_BACKOFF, ADDRESS_BACKOFF, type BackoffOptions, type SignInThrottleOptions } from './sign-in-throttle.ts';
export { ARGON2_OPTIONS, DIRECTORY_ONLY, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, checkNewPassword, hashAccountPassword, verifyAccountPassword } from './password-hash.ts';
export { CSRF_HEADER, csrfMatches } from './csrf.ts';
export { ensureSetupToken, setupNeeded, claimSetupToken, setupLink, SETUP_TOKEN_LIFETIME_MS } from './setup-token.ts';
