// What the sanctions workflow shows: proposals raised by repeated circumvention attempts, the
// supervised-only sanctions a decider imposes, and the supervised sessions that let a sanctioned
// pupil browse under the usual policy while a supervisor is with them (8.2).

/** What an attempt looked like: a DoH resolver, a web proxy, a VPN, an address written as a number… */
export type AttemptKind = 'ip-literal' | 'doh' | 'proxy' | 'vpn' | 'translator' | 'sni-mismatch' | (string & {});

export interface CircumventionAttempt {
  /** the decision event's id (the block page's reference) */
  eventId: string;
  at: number;
  host: string;
  kind: AttemptKind;
  rule: string;
  point: string;
}

/**
 * `supervised-only`: a pupil, for whom a decider may impose a supervised-only sanction.
 * `refer`: an adult; the proposal tells the deciders and nothing is enforced.
 */
export type Recommendation = 'supervised-only' | 'refer';
export type ProposalStatus = 'open' | 'imposed' | 'declined';

export interface SanctionProposal {
  id: string;
  person: string;
  role: string;
  createdAt: number;
  recommendation: Recommendation;
  /** attempts inside the window when the threshold was crossed */
  count: number;
  threshold: number;
  windowMs: number;
  attempts: CircumventionAttempt[];
  status: ProposalStatus;
  decidedAt: number | null;
  decidedBy: string | null;
  decisionReason: string | null;
  /** the sanction imposed on this proposal */
  sanctionId: string | null;
}

export type SanctionStatus = 'active' | 'lifted' | 'expired';

export interface SupervisedSession {
  id: string;
  sanctionId: string;
  person: string;
  openedBy: string;
  openedAt: number;
  endsAt: number;
  closedAt: number | null;
  closedBy: string | null;
  /** null while open; `closed` by a supervisor, `timed-out` after the session length, `sanction-ended` */
  closeKind: 'closed' | 'timed-out' | 'sanction-ended' | null;
  open: boolean;
}

export interface Sanction {
  id: string;
  person: string;
  role: string;
  proposalId: string | null;
  reason: string;
  imposedBy: string;
  imposedAt: number;
  endsAt: number;
  /** `active` until lifted or past its end (judged on the store's clock, even before expiry is recorded) */
  status: SanctionStatus;
  liftedAt: number | null;
  liftedBy: string | null;
  liftReason: string | null;
  expiredAt: number | null;
  /** the session open now, if any */
  session: SupervisedSession | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
