// Every API route of the product in one list: what the server mounts, what the OpenAPI document
// describes and what the permission test walks (every role against every route). A module with
// routes adds its list here.
import type { ApiDeps } from './api-deps.ts';
import { coreRoutes } from './core-routes.ts';
import { featureRoutes } from './routes/index.ts';
import { mailCheckRoutes, quarantineRoutes } from '../mail/index.ts';
import type { RouteSpec } from './route-spec.ts';

export function allRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...coreRoutes(deps),
    ...featureRoutes(deps),
    ...mailCheckRoutes(deps),
    ...(deps.quarantine ? quarantineRoutes(deps.quarantine) : []),
  ];
}
