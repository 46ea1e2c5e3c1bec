// The signed-in account and what it may do, for every page. The API is the judge of every
// request; the dashboard only hides what the permissions say would be refused.
import { createContext, useContext } from 'react';
import type { Action, Account } from './api-types.ts';

export interface Session {
  account: Account;
  permissions: ReadonlySet<Action>;
  can(action: Action): boolean;
  canAny(...actions: Action[]): boolean;
}

export function makeSession(account: Account, permissions: readonly Action[]): Session {
  const set = new Set(permissions);
  return {
    account,
    permissions: set,
    can: (action) => set.has(action),
    canAny: (...actions) => actions.some((action) => set.has(action)),
  };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
