// First run: the one-time link printed at the first start (`#/setup?token=…`) creates the first
// administrator, who is then signed in.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from './api-client.ts';
import type { SessionInfo } from './api-types.ts';
import { problemFor, TextField } from './controls.tsx';
import { ErrorMessage } from './status.tsx';

export function SetupPage({ token, onDone }: { token: string; onDone(info: SessionInfo): void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [mismatch, setMismatch] = useState(false);

  useEffect(() => {
    document.title = 'Set up · Hedgerow';
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setBusy(true);
    try {
      await request('POST', '/api/setup', { token, username: username.trim(), displayName: displayName.trim(), password }, { expectSignedOut: true });
      const info = await request<SessionInfo>('POST', '/api/session', { username: username.trim(), password }, { expectSignedOut: true });
      onDone(info);
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in" tabIndex={-1}>
      <div className="sign-in-card">
        <h1>Set up Hedgerow</h1>
        {token ? (
          <>
            <p className="lead">Create the first administrator account. It can then add accounts for the rest of the team.</p>
            <ErrorMessage error={error} title="The account was not created" />
            <form onSubmit={(e) => void submit(e)} className="stack">
              <TextField label="Your name" value={displayName} onValue={setDisplayName} autoComplete="name" required problem={problemFor(error?.problems, 'displayName')} />
              <TextField
                label="Username"
                hint="Lower-case letters, digits, dots and hyphens, e.g. a.moore"
                value={username}
                onValue={setUsername}
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                problem={problemFor(error?.problems, 'username')}
              />
              <TextField
                label="Password"
                hint="At least 12 characters; a few unrelated words make a good one."
                type="password"
                value={password}
                onValue={setPassword}
                autoComplete="new-password"
                required
                minLength={12}
                problem={problemFor(error?.problems, 'password')}
              />
              <TextField
                label="Password again"
                type="password"
                value={confirm}
                onValue={setConfirm}
                autoComplete="new-password"
                required
                problem={mismatch ? 'The two passwords are not the same' : null}
              />
              <button type="submit" className="button-primary" disabled={busy}>
                {busy ? 'Creating…' : 'Create the account and sign in'}
              </button>
            </form>
          </>
        ) : (
          <p>
            This page needs the one-time link Hedgerow printed when it first started. Copy the whole link from the console, or create the first account with{' '}
            <code>hedgerow users add --role headteacher</code>.
          </p>
        )}
        <p>
          <a href="#/">Back to sign in</a>
        </p>
      </div>
    </main>
  );
}
