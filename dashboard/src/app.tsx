// The dashboard: who is signed in decides what is shown. Setup (first administrator) and sign-in
// come before everything; the session ending anywhere (idle timeout, 6.16) returns to sign-in.
import { useCallback, useEffect, useState } from 'react';
import { ApiError, onSignedOut, request, setCsrfToken } from './api-client.ts';
import type { SessionInfo } from './api-types.ts';
import { useRoute, navigate } from './hash-route.ts';
import { invalidatePolicyNames } from './policy-names.ts';
import { makeSession, type Session } from './session-context.tsx';
import { Shell } from './shell.tsx';
import { SignInPage } from './sign-in-page.tsx';
import { SetupPage } from './setup-page.tsx';
import { Loading, ErrorMessage } from './status.tsx';

type State =
  | { kind: 'loading' }
  | { kind: 'unreachable'; error: ApiError }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'signed-in'; session: Session };

export function App() {
  const route = useRoute();
  const [state, setState] = useState<State>({ kind: 'loading' });

  const signedIn = useCallback((info: SessionInfo) => {
    setCsrfToken(info.csrfToken);
    invalidatePolicyNames();
    setState({ kind: 'signed-in', session: makeSession(info.account, info.permissions) });
  }, []);

  const signedOut = useCallback((notice: string | null) => {
    setCsrfToken('');
    invalidatePolicyNames();
    setState({ kind: 'signed-out', notice });
  }, []);

  useEffect(() => {
    let live = true;
    fetchSession().then(
      (info) => {
        if (!live) return;
        if (info) signedIn(info);
        else signedOut(null);
      },
      (error: unknown) => {
        if (live) setState({ kind: 'unreachable', error: error instanceof ApiError ? error : new ApiError(0, 'HTTP_FAILED', String(error), []) });
      },
    );
    return () => {
      live = false;
    };
  }, [signedIn, signedOut]);

  useEffect(
    () =>
      onSignedOut(() => {
        signedOut('Your session has ended, perhaps after a time with nothing done. Please sign in again.');
      }),
    [signedOut],
  );

  if (route.page === 'setup') {
    return (
      <SetupPage
        token={route.params.get('token') ?? ''}
        onDone={(info) => {
          signedIn(info);
          navigate('overview', {}, { replace: true });
        }}
      />
    );
  }
  switch (state.kind) {
    case 'loading':
      return (
        <main className="centred">
          <Loading what="Hedgerow" />
        </main>
      );
    case 'unreachable':
      return (
        <main className="centred">
          <h1>Hedgerow</h1>
          <ErrorMessage error={state.error} title="The dashboard cannot reach Hedgerow" />
        </main>
      );
    case 'signed-out':
      return <SignInPage notice={state.notice} onSignedIn={signedIn} />;
    case 'signed-in':
      return <Shell session={state.session} route={route} onSignedOut={signedOut} />;
  }
}

/** The current session, or null when nobody is signed in. */
async function fetchSession(): Promise<SessionInfo | null> {
  try {
    return await request<SessionInfo>('GET', '/api/session', undefined, { expectSignedOut: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}
