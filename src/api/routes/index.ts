// The feature routes of the API (overview, activity, policy, overrides, people, settings,
// reports) as one list for mountApi and the OpenAPI document.
import type { ApiDeps } from '../api-deps.ts';
import type { RouteSpec } from '../route-spec.ts';
import { activityRoutes } from './activity-routes.ts';
import { overrideRoutes } from './override-routes.ts';
import { overviewRoutes } from './overview-routes.ts';
import { peopleRoutes } from './people-routes.ts';
import { policyRoutes } from './policy-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { settingsRoutes } from './settings-routes.ts';

export function featureRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...overviewRoutes(deps),
    ...activityRoutes(deps),
    ...policyRoutes(deps),
    ...overrideRoutes(deps),
    ...peopleRoutes(deps),
    ...settingsRoutes(deps),
    ...reportRoutes(deps),
  ];
}

export { activityRoutes, overrideRoutes, overviewRoutes, peopleRoutes, policyRoutes, reportRoutes, settingsRoutes };
export { describeDecision } from './describe-decision.ts';
export { renderPolicy } from './policy-routes.ts';
export { SettingsStore, ALERT_KINDS, type AlertKind, type AlertRecipient } from './settings-store.ts';
