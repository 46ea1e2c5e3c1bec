// Every API route of the product in one list: what the server mounts, what the OpenAPI document
// describes and what the permission test walks (every role against every route). A module with
// routes adds its list here.
import type { ApiDeps, WorkflowRouteDeps } from './api-deps.ts';
import { coreRoutes } from './core-routes.ts';
import { featureRoutes } from './routes/index.ts';
import { mailCheckRoutes, quarantineRoutes } from '../mail/index.ts';
import { alertRoutes, incidentRoutes, requestsRoutes, sanctionRoutes } from '../cases/index.ts';
import { complianceRoutes } from '../compliance/index.ts';
import { notificationRoutes } from '../notify/index.ts';
import { reportingRoutes } from '../reporting/index.ts';
import type { RouteSpec } from './route-spec.ts';

/**
 * An object whose every property is read from `get()` when it is used, not when the route list
 * is built: the list is made before (and, in the permission and OpenAPI checks, without) the
 * stores it will call.
 */
function late<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const target = get();
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_target, property) => Reflect.has(get(), property),
  });
}

function workflowRoutes(deps: ApiDeps): RouteSpec[] {
  const workflows = (): WorkflowRouteDeps => deps.workflows!;
  return [
    ...notificationRoutes(deps, late(() => workflows().notifications)),
    ...incidentRoutes(deps, { incidents: late(() => workflows().incidents.incidents) }),
    ...sanctionRoutes(deps, { sanctions: late(() => workflows().sanctions.sanctions) }),
    ...alertRoutes(deps, late(() => workflows().alerts)),
    ...complianceRoutes(deps, { service: late(() => workflows().compliance.service) }),
    ...reportingRoutes(deps, late(() => workflows().reporting)),
  ];
}

export function allRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...coreRoutes(deps),
    ...featureRoutes(deps),
    ...mailCheckRoutes(deps),
    ...requestsRoutes(deps, () => deps.requests),
    ...(deps.workflows ? workflowRoutes(deps) : []),
    ...(deps.quarantine ? quarantineRoutes(deps.quarantine) : []),
  ];
}
