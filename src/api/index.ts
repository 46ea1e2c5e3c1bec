// The HTTP service: block page landing and forms, PAC/WPAD, health.
export { startHttpService, type HttpServiceOptions, type HealthReport } from './http-service.ts';
export { renderPac, type PacOptions } from './pac.ts';
