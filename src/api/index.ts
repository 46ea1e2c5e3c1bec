// The HTTP service: block page landing and forms, PAC/WPAD, health; and the JSON API mounted on
// it (route specs, the permission check, OpenAPI) with the dashboard beside it.
export { startHttpService, defaultDashboardDir, type HttpServiceOptions, type HealthReport } from './http-service.ts';
export { renderPac, type PacOptions } from './pac.ts';
export { defineRoute, type HttpMethod, type RouteContext, type RouteSpec, type SignedIn } from './route-spec.ts';
export { authOf, type ApiDeps, type WorkflowRouteDeps } from './api-deps.ts';
export { ApiError, toApiError, type ApiErrorBody, type ApiProblem } from './api-error.ts';
export { mountApi, sessionOfRequest, setSessionCookie, clearSessionCookie, SESSION_COOKIE, DEFAULT_BODY_LIMIT, type MountOptions } from './mount-api.ts';
export { openApiDocument, openApiPath, openApiRoute, type OpenApiDocument } from './openapi.ts';
export { coreRoutes } from './core-routes.ts';
export { searchAudit, type AuditFilter } from './audit-search.ts';
export { allRoutes } from './all-routes.ts';
