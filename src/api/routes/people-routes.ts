// People, devices and networks: search the people store, import the roster CSV through the same
// importer as `hedgerow people import` (all rows or none, every problem with its line), bring the
// store in line with the school's directory (the same sync as `hedgerow people sync`), register
// and remove devices, and read the client networks from the configuration. Changes are audited.
import { z } from 'zod';
import { HedgerowError } from '../../errors/index.ts';
import {
  directorySyncProblem,
  normaliseDevice,
  normaliseUsername,
  syncDirectory,
  MAX_ROSTER_BYTES,
  type LdapOptions,
  type PersonRecord,
} from '../../identity/index.ts';
import { ApiError } from '../api-error.ts';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { notFound, signedIn, timeZoneOf } from './audience.ts';

const DEFAULT_PAGE = 100;

function encodeCursor(username: string): string {
  return Buffer.from(username, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const username = normaliseUsername(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!username) throw new HedgerowError('HR_API_INPUT', 'the cursor is not one this list gave out', { where: { field: 'cursor' } });
  return username;
}

/** A person as the dashboard lists them: no date of birth, no password hash. */
function personView(person: PersonRecord, devices: string[]): Record<string, unknown> {
  return {
    username: person.username,
    displayName: person.displayName,
    role: person.role,
    groups: person.groups,
    source: person.source,
    active: person.active,
    hasPassword: person.hasPassword,
    devices,
  };
}

const personSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  groups: z.array(z.string()),
  source: z.enum(['roster', 'ldap', 'local']),
  active: z.boolean(),
  hasPassword: z.boolean(),
  devices: z.array(z.string()),
});

const syncReportSchema = z.object({
  added: z.number(),
  updated: z.number(),
  deactivated: z.number(),
  unchanged: z.number(),
  skipped: z.array(z.object({ dn: z.string(), reason: z.string() })),
});

export function peopleRoutes(deps: ApiDeps): RouteSpec[] {
  // one sync at a time: a second would list the same directory and race the first's writes
  let syncing = false;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/people',
      action: 'people.read',
      summary: 'Search people by name or username, group and role',
      tags: ['people'],
      query: z.strictObject({
        q: z.string().max(200).optional(),
        group: z.string().min(1).max(64).optional(),
        role: z.string().min(1).max(64).optional(),
        inactive: z.enum(['true', 'false']).optional(),
        cursor: z.string().min(1).max(512).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
      response: z.object({ items: z.array(personSchema), nextCursor: z.string().nullable() }),
      handler(context) {
        const { q, group, role, inactive, cursor, limit = DEFAULT_PAGE } = context.query;
        const needle = q?.trim().toLowerCase() ?? '';
        const after = cursor ? decodeCursor(cursor) : null;
        const matches = deps.people
          .list({ ...(role ? { role } : {}), ...(group ? { group } : {}), includeInactive: inactive === 'true' })
          .filter((p) => needle === '' || p.username.includes(needle) || p.displayName.toLowerCase().includes(needle))
          .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
          .filter((p) => after === null || p.username > after);
        const page = matches.slice(0, limit);
        const last = page[page.length - 1];
        return {
          items: page.map((p) => personView(p, deps.people.devices(p.username))),
          nextCursor: matches.length > limit && last ? encodeCursor(last.username) : null,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/people/import',
      action: 'people.import',
      summary: 'Import a roster CSV (name, username, role, year group, date of birth, groups); nothing is imported unless every row is good',
      tags: ['people'],
      consumes: 'text/csv',
      bodyLimit: MAX_ROSTER_BYTES,
      body: z.string(),
      response: z.object({ imported: z.number(), updated: z.number(), problems: z.array(z.object({ line: z.number(), field: z.string(), message: z.string() })) }),
      async handler(context) {
        const account = signedIn(context.account);
        const engine = deps.engine();
        const policy = engine.policy;
        const roles = Object.keys(policy.roles);
        const result = deps.people.importRoster(context.body, {
          file: 'roster.csv',
          policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
          timeZone: timeZoneOf(engine),
          now: deps.now(),
        });
        if (result.problems.length > 0) {
          throw new ApiError(
            'HR_IDENTITY_ROSTER',
            `the roster has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}; nothing was imported`,
            result.problems.map((p) => ({ field: `line ${p.line}: ${p.field}`, message: p.message })),
          );
        }
        await deps.audit.append({ actor: account.username, action: 'people.import', subject: 'people:roster', before: null, after: { imported: result.imported, updated: result.updated }, reason: null });
        return result;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/people/directory-sync',
      action: 'people.import',
      summary:
        'Bring the people store in line with the directory: add and update everyone listed, make directory people no longer listed inactive (roster and hand-added people are left alone)',
      tags: ['people'],
      response: syncReportSchema,
      async handler(context) {
        const account = signedIn(context.account);
        const configured = deps.config.ldap;
        if (!configured) throw new HedgerowError('HR_API_CONFLICT', 'no directory is configured (`ldap` in the configuration)', { httpStatus: 409 });
        // the configuration is frozen; the sync gets its own copy
        const ldap = structuredClone(configured) as LdapOptions;
        const problem = directorySyncProblem(ldap);
        if (problem) throw new HedgerowError('HR_API_CONFLICT', problem, { httpStatus: 409 });
        if (syncing) throw new HedgerowError('HR_API_CONFLICT', 'a directory sync is already running', { httpStatus: 409 });
        syncing = true;
        try {
          const policy = deps.engine().policy;
          const report = await syncDirectory(deps.people, ldap, {
            fallbackRole: policy.unidentifiedRole ?? 'guest',
            policy: { roles: Object.keys(policy.roles), groups: Object.keys(policy.groups) },
            now: () => deps.now(),
          });
          await deps.audit.append({
            actor: account.username,
            action: 'people.directory-sync',
            subject: 'people:directory',
            before: null,
            after: { added: report.added, updated: report.updated, deactivated: report.deactivated, unchanged: report.unchanged, skipped: report.skipped.length },
            reason: null,
          });
          return report;
        } finally {
          syncing = false;
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/devices',
      action: 'people.read',
      summary: 'Registered devices, of one person or of everyone',
      tags: ['people'],
      query: z.strictObject({ person: z.string().min(1).max(128).optional() }),
      response: z.object({ items: z.array(z.object({ device: z.string(), username: z.string() })) }),
      handler(context) {
        const people = context.query.person !== undefined ? [context.query.person] : deps.people.list({ includeInactive: true }).map((p) => p.username);
        const items = people.flatMap((username) => deps.people.devices(username).map((device) => ({ device, username: normaliseUsername(username) ?? username })));
        return { items };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/devices',
      action: 'people.import',
      summary: 'Register a device (MAC address, hostname or device id) to a person, or move it to them',
      tags: ['people'],
      body: z.strictObject({ device: z.string().min(1).max(253), username: z.string().min(1).max(128) }),
      response: z.object({ device: z.string(), username: z.string() }),
      async handler(context) {
        const account = signedIn(context.account);
        const previous = deps.people.personForDevice(context.body.device);
        const device = deps.people.registerDevice(context.body.device, context.body.username);
        const username = normaliseUsername(context.body.username)!;
        await deps.audit.append({
          actor: account.username,
          action: 'device.register',
          subject: `device:${device}`,
          before: previous ? { device, username: previous.username } : null,
          after: { device, username },
          reason: null,
        });
        context.reply.code(201);
        return { device, username };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/devices/:id',
      action: 'people.import',
      summary: 'Remove a registered device',
      tags: ['people'],
      params: z.strictObject({ id: z.string().min(1).max(253) }),
      response: z.object({ device: z.string(), removed: z.literal(true) }),
      async handler(context) {
        const account = signedIn(context.account);
        const device = normaliseDevice(context.params.id);
        const owner = device ? deps.people.personForDevice(device) : null;
        if (!device || !deps.people.unregisterDevice(device)) throw notFound(`device \`${context.params.id}\` is not registered`);
        await deps.audit.append({ actor: account.username, action: 'device.remove', subject: `device:${device}`, before: { device, username: owner?.username ?? null }, after: null, reason: null });
        return { device, removed: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/networks',
      action: 'people.read',
      summary: 'Client networks and the role each maps to (from the configuration; read-only)',
      tags: ['people'],
      response: z.object({ items: z.array(z.object({ name: z.string().nullable(), cidr: z.string(), role: z.string(), groups: z.array(z.string()) })) }),
      handler() {
        return { items: deps.config.networks.map((n) => ({ name: n.name ?? null, cidr: n.cidr, role: n.role, groups: [...n.groups] })) };
      },
    }),
  ];
}
