// Signing in with a dashboard account (or a directory account where the school has one).
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, request } from './api-client.ts';
import type { SessionInfo } from './api-types.ts';
import { TextField } from './controls.tsx';
import { ErrorMessage } from './status.tsx';

export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn(info: SessionInfo): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [setupNeeded, setSetupNeeded] = useState(false);

  useEffect(() => {
    document.title = 'Sign in · Hedgerow';
    let live = true;
    api.get<{ needed: boolean }>('/api/setup').then(
      (answer) => {
        if (live) setSetupNeeded(answer.needed === true);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const info = await request<SessionInfo>('POST', '/api/session', { username: username.trim(), password }, { expectSignedOut: true });
      setPassword('');
      onSignedIn(info);
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  const title = error?.status === 401 ? 'The username or password is not right' : error?.status === 429 ? 'Too many attempts' : undefined;
  return (
    <main id="main" className="sign-in" tabIndex={-1}>
      <div className="sign-in-card">
        <p className="brand brand-large">
          <img src={`${import.meta.env.BASE_URL}hedgerow.svg`} alt="" width={36} height={36} />
          <span>Hedgerow</span>
        </p>
        <h1>Sign in</h1>
        <p className="lead">The school's internet filter: its policy, its activity and its settings.</p>
        {notice ? (
          <p className="message message-info" role="status">
            {notice}
          </p>
        ) : null}
        <ErrorMessage error={error} {...(title ? { title } : {})} />
        <form onSubmit={(e) => void submit(e)} className="stack">
          <TextField label="Username" value={username} onValue={setUsername} autoComplete="username" autoCapitalize="none" spellCheck={false} required />
          <TextField label="Password" type="password" value={password} onValue={setPassword} autoComplete="current-password" required />
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="hint">Sign out when you leave the computer: the dashboard also signs you out after a time with nothing done (policy 6.16).</p>
        {setupNeeded ? (
          <p className="message message-info">
            This Hedgerow has no administrator yet. Open the one-time set-up link that was printed when Hedgerow first started.
          </p>
        ) : null}
      </div>
    </main>
  );
}
