// The frame around every signed-in page: a skip link, the header with the signed-in person and
// the sign-out buttons, the navigation (only the pages this account may see) and the page.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from './api-client.ts';
import type { Route } from './hash-route.ts';
import { hrefFor, navigate } from './hash-route.ts';
import { humanise } from './format.ts';
import { PAGES, pagesFor, type PageInfo } from './pages.ts';
import { usePolicyNames } from './policy-names.ts';
import { SessionContext, type Session } from './session-context.tsx';
import { ErrorMessage } from './status.tsx';
import { OverviewPage } from './overview-page.tsx';
import { ActivityPage } from './activity-page.tsx';
import { PolicyPage } from './policy-page.tsx';
import { OverridesPage } from './overrides-page.tsx';
import { PeoplePage } from './people-page.tsx';
import { SettingsPage } from './settings-page.tsx';
import { AuditPage } from './audit-page.tsx';
import { ReportsPage } from './reports-page.tsx';
import { RequestsPage } from './requests-page.tsx';
import { InboxNavLabel, InboxPage } from './inbox-page.tsx';
import { AlertsPage } from './alerts-page.tsx';
import { IncidentsPage } from './incidents-page.tsx';
import { SanctionsPage } from './sanctions-page.tsx';
import { CompliancePage } from './compliance-page.tsx';
import { AcknowledgePage } from './acknowledge-page.tsx';
import { GovernorsPage } from './governors-page.tsx';

function pageBody(page: PageInfo, route: Route): ReactNode {
  switch (page.id) {
    case 'overview':
      return <OverviewPage route={route} />;
    case 'activity':
      return <ActivityPage route={route} />;
    case 'policy':
      return <PolicyPage route={route} />;
    case 'overrides':
      return <OverridesPage route={route} />;
    case 'people':
      return <PeoplePage route={route} />;
    case 'settings':
      return <SettingsPage />;
    case 'audit':
      return <AuditPage route={route} />;
    case 'reports':
      return <ReportsPage route={route} />;
    case 'requests':
      return <RequestsPage route={route} />;
    case 'inbox':
      return <InboxPage route={route} />;
    case 'alerts':
      return <AlertsPage route={route} />;
    case 'incidents':
      return <IncidentsPage route={route} />;
    case 'sanctions':
      return <SanctionsPage route={route} />;
    case 'compliance':
      return <CompliancePage route={route} />;
    case 'acknowledge':
      return <AcknowledgePage />;
    case 'governors':
      return <GovernorsPage route={route} />;
    default:
      return null;
  }
}

export function Shell({ session, route, onSignedOut }: { session: Session; route: Route; onSignedOut(notice: string | null): void }) {
  const pages = pagesFor(session.can);
  const names = usePolicyNames(session.can('policy.read'));
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const [signOutError, setSignOutError] = useState<ApiError | null>(null);
  const current = pages.find((p) => p.id === route.page) ?? null;

  // An empty or unknown address goes to the first page this account may see.
  useEffect(() => {
    if (route.page === '' && pages[0]) navigate(pages[0].id, {}, { replace: true });
  }, [route.page, pages]);

  // Each page change moves focus to the new page's heading, so screen readers announce it.
  useEffect(() => {
    document.title = `${current?.title ?? 'Hedgerow'} · Hedgerow`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [current?.id, current?.title]);

  const signOut = async (everywhere: boolean) => {
    setSignOutError(null);
    try {
      await api.delete(everywhere ? '/api/sessions' : '/api/session');
      onSignedOut(everywhere ? 'You have signed out on every device.' : 'You have signed out.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) onSignedOut('You have signed out.');
      else setSignOutError(error instanceof ApiError ? error : null);
    }
  };

  const roleTitle = session.can('policy.read') ? names.title('roles', session.account.role) : humanise(session.account.role);
  let body: ReactNode;
  if (current) body = pageBody(current, route);
  else if (route.page === '') body = null;
  else {
    const known = PAGES.some((page) => page.id === route.page);
    body = (
      <>
        <h1 tabIndex={-1}>{known ? 'Not available to you' : 'Page not found'}</h1>
        <p>{known ? 'Your role does not include this page. Ask the headteacher or the e-safety team if you need it.' : 'There is no page at this address.'}</p>
        {pages[0] ? (
          <p>
            <a href={hrefFor(pages[0].id)}>Go to {pages[0].title}</a>
          </p>
        ) : null}
      </>
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="site-header">
        <div className="brand">
          <img src={`${import.meta.env.BASE_URL}hedgerow.svg`} alt="" width={28} height={28} />
          <span>Hedgerow</span>
        </div>
        <div className="account">
          <p className="account-name">
            <span className="visually-hidden">Signed in as </span>
            <strong>{session.account.displayName}</strong> <span className="account-role">{roleTitle}</span>
          </p>
          <button type="button" className="button-quiet" onClick={() => void signOut(false)}>
            Sign out
          </button>
          <button type="button" className="button-quiet" onClick={() => void signOut(true)}>
            Sign out everywhere
          </button>
        </div>
      </header>
      <nav className="site-nav" aria-label="Main">
        <ul>
          {pages.map((page) => (
            <li key={page.id}>
              <a href={hrefFor(page.id)} aria-current={page.id === current?.id ? 'page' : undefined}>
                {page.id === 'inbox' ? <InboxNavLabel label={page.navLabel} /> : page.navLabel}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1} className="page">
        <ErrorMessage error={signOutError} title="Signing out did not work" />
        {pages.length === 0 ? (
          <>
            <h1 tabIndex={-1}>Nothing to show</h1>
            <p>Your role has no pages in the dashboard.</p>
          </>
        ) : (
          body
        )}
      </main>
    </SessionContext.Provider>
  );
}
