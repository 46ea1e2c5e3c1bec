// Settings: the enforcement points (from the running service and its configuration), retention
// (policy data) and who is told about alerts (stored, editable, audited).
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { signedIn } from './audience.ts';
import { pointList } from './overview-routes.ts';
import { ALERT_KINDS, SettingsStore, type AlertRecipient } from './settings-store.ts';

const recipientSchema = z.strictObject({
  address: z.email().max(254),
  name: z.string().trim().min(1).max(200).optional(),
  alerts: z.array(z.enum(ALERT_KINDS)).min(1).max(ALERT_KINDS.length),
});

/** Where each enforcement point is configured to listen, beside what the health report says. */
function configuredPoints(deps: ApiDeps): Record<string, { host: string; port: number }> {
  const c = deps.config;
  return { proxy: { host: c.proxy.host, port: c.proxy.port }, dns: { host: c.dns.host, port: c.dns.port }, http: { host: c.http.host, port: c.http.port } };
}

export function settingsRoutes(deps: ApiDeps): RouteSpec[] {
  // made on first use: a route list is built before its dependencies are ready
  let store: SettingsStore | null = null;
  const settings = (): SettingsStore => (store ??= new SettingsStore(deps.db, deps.audit, () => deps.now()));
  return [
    defineRoute({
      method: 'GET',
      url: '/api/settings',
      action: 'settings.read',
      summary: 'Enforcement points, retention periods and alert recipients',
      tags: ['settings'],
      response: z.object({
        points: z.array(z.object({ name: z.string(), enabled: z.boolean(), listening: z.string().nullable(), healthy: z.boolean(), configured: z.object({ host: z.string(), port: z.number() }).nullable() })),
        retention: z.object({ decisions: z.string().nullable(), quarantine: z.string().nullable(), incidents: z.string().nullable() }),
        alertRecipients: z.array(recipientSchema),
      }),
      async handler() {
        const configured = configuredPoints(deps);
        const retention = deps.engine().policy.retention;
        return {
          points: pointList(deps.health().points).map((point) => ({ ...point, configured: configured[point.name] ?? null })),
          retention: { decisions: retention.decisions ?? null, quarantine: retention.quarantine ?? null, incidents: retention.incidents ?? null },
          alertRecipients: await settings().alertRecipients(),
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/settings/alerts',
      action: 'settings.edit',
      summary: 'Replace the list of alert recipients (audited with before and after)',
      tags: ['settings'],
      body: z.strictObject({ recipients: z.array(recipientSchema).max(100), reason: z.string().trim().max(1000).optional() }),
      response: z.object({ alertRecipients: z.array(recipientSchema) }),
      async handler(context) {
        const account = signedIn(context.account);
        const seen = new Set<string>();
        const recipients: AlertRecipient[] = [];
        for (const r of context.body.recipients) {
          const address = r.address.toLowerCase();
          if (seen.has(address)) continue;
          seen.add(address);
          recipients.push({ address, ...(r.name !== undefined ? { name: r.name } : {}), alerts: [...new Set(r.alerts)] });
        }
        await settings().put('alert-recipients', recipients, account.username, context.body.reason || null, []);
        return { alertRecipients: recipients };
      },
    }),
  ];
}
