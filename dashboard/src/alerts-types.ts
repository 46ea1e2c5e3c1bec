// The alerts API's shapes, as the dashboard reads them (src/cases/alerts/alert-routes.ts).
export type AlertTriggerKind = 'category' | 'rule' | 'keyword';
export type AlertState = 'new' | 'acknowledged' | 'closed';

export interface SafeguardingAlert {
  id: string;
  kind: AlertTriggerKind;
  subject: string;
  subjectTitle: string;
  firstAt: number;
  lastAt: number;
  count: number;
  eventId: string;
  point: string;
  person: string | null;
  personName: string | null;
  role: string;
  groups: string[];
  device: string | null;
  clientIp: string | null;
  host: string;
  url: string | null;
  categories: string[];
  rule: string;
  action: string;
  clauses: string[];
  searchTerm: string | null;
  matched: string | null;
  term: string | null;
  language: string | null;
  policyRevision: string;
  state: AlertState;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgeNote: string | null;
  closedAt: number | null;
  closedBy: string | null;
  closeNote: string | null;
  notificationId: string | null;
}

export interface AlertCounts {
  new: number;
  acknowledged: number;
}

export interface AlertList {
  items: SafeguardingAlert[];
  nextCursor: string | null;
  counts: AlertCounts;
}

export interface AlertDetail {
  alert: SafeguardingAlert;
  events: Array<{ eventId: string; at: number; host: string; action: string; matched: string | null }>;
  deliveries: Array<{ username: string | null; email: string | null; mailStatus: 'pending' | 'sent' | 'failed' | 'none'; attempts: number; lastError: string | null; readAt: number | null; sentAt: number | null }>;
}

export interface AlertDigestInfo {
  nextRun: number | null;
  last: { dueAt: number; periodFrom: number; periodTo: number; sentAt: number; notificationId: string | null; summary: unknown } | null;
}
