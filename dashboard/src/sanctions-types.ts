// What the sanctions API answers (src/cases/sanctions/sanction-routes.ts), as the dashboard reads it.

export interface CircumventionAttempt {
  eventId: string;
  at: number;
  host: string;
  /** `ip-literal`, `doh`, `proxy`, `vpn`, `translator`, `sni-mismatch`, or a category */
  kind: string;
  rule: string;
  point: string;
}

export interface SanctionProposal {
  id: string;
  person: string;
  personName: string | null;
  role: string;
  createdAt: number;
  recommendation: 'supervised-only' | 'refer';
  count: number;
  threshold: number;
  windowMs: number;
  attempts: CircumventionAttempt[];
  status: 'open' | 'imposed' | 'declined';
  decidedAt: number | null;
  decidedBy: string | null;
  decisionReason: string | null;
  sanctionId: string | null;
}

export interface SupervisedSession {
  id: string;
  sanctionId: string;
  person: string;
  openedBy: string;
  openedAt: number;
  endsAt: number;
  closedAt: number | null;
  closedBy: string | null;
  closeKind: 'closed' | 'timed-out' | 'sanction-ended' | null;
  open: boolean;
}

export interface Sanction {
  id: string;
  person: string;
  personName: string | null;
  role: string;
  proposalId: string | null;
  reason: string;
  imposedBy: string;
  imposedAt: number;
  endsAt: number;
  status: 'active' | 'lifted' | 'expired';
  liftedAt: number | null;
  liftedBy: string | null;
  liftReason: string | null;
  expiredAt: number | null;
  session: SupervisedSession | null;
}

export interface SanctionSettings {
  configured: boolean;
  defaultDuration: string | null;
  maxDuration: string | null;
  sessionLength: string | null;
  clauses: string[];
  threshold: number;
  window: string;
  decider: boolean;
  supervisor: 'any' | 'own-classes' | 'no';
}

export interface SanctionList<T> {
  items: T[];
  nextCursor: string | null;
}
