// The dashboard's pages, the action(s) that let an account see each one, and their order in
// the navigation. An account sees a page when it holds any of the page's actions.
import type { Action } from './api-types.ts';

export interface PageInfo {
  id: string;
  title: string;
  /** shown in the navigation */
  navLabel: string;
  actions: Action[];
}

export const PAGES: readonly PageInfo[] = [
  { id: 'overview', title: 'Overview', navLabel: 'Overview', actions: ['overview.read'] },
  { id: 'inbox', title: 'Inbox', navLabel: 'Inbox', actions: ['session.self'] },
  { id: 'alerts', title: 'Safeguarding alerts', navLabel: 'Alerts', actions: ['alerts.read'] },
  { id: 'activity', title: 'Activity', navLabel: 'Activity', actions: ['activity.read.pupils', 'activity.read.staff', 'activity.read.own'] },
  { id: 'requests', title: 'Requests and reports', navLabel: 'Requests', actions: ['requests.create', 'reports.handle', 'register.read'] },
  { id: 'incidents', title: 'Incidents', navLabel: 'Incidents', actions: ['incidents.report', 'incidents.manage'] },
  { id: 'sanctions', title: 'Sanctions', navLabel: 'Sanctions', actions: ['sanctions.read'] },
  { id: 'policy', title: 'Policy', navLabel: 'Policy', actions: ['policy.read', 'policy.simulate'] },
  { id: 'overrides', title: 'Overrides', navLabel: 'Overrides', actions: ['overrides.read', 'overrides.grant.own-classes', 'overrides.grant.any'] },
  { id: 'people', title: 'People and devices', navLabel: 'People', actions: ['people.read'] },
  { id: 'compliance', title: 'Compliance records', navLabel: 'Compliance', actions: ['compliance.self', 'compliance.read', 'compliance.manage'] },
  { id: 'acknowledge', title: 'Policy acknowledgement', navLabel: 'Acknowledge', actions: ['compliance.self'] },
  { id: 'reports', title: 'Reports', navLabel: 'Reports', actions: ['reports.aggregate'] },
  { id: 'governors', title: "Governors' report", navLabel: 'Governors', actions: ['reports.governors'] },
  { id: 'settings', title: 'Settings', navLabel: 'Settings', actions: ['settings.read'] },
  { id: 'audit', title: 'Audit log', navLabel: 'Audit log', actions: ['audit.read'] },
];

export function pagesFor(can: (action: Action) => boolean): PageInfo[] {
  return PAGES.filter((page) => page.actions.some(can));
}
