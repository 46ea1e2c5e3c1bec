// The policy as readable rules beside the clauses they carry out, the simulator ("what would
// Year 4 see at 10:15 on Tuesday?") on the same engine and grants the filters use, and edits of
// the school layer: linted before they are written, audited with their reason, then reloaded.
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Decision, Person } from '../../engine/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { ageOn, normaliseUsername } from '../../identity/index.ts';
import { editPolicyFile, PolicyEditError, type PolicyEdit, type PolicyFileEditResult } from '../../policy-edit/index.ts';
import { parseZonedTime, type ResolvedPolicy } from '../../policy/index.ts';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec, type SignedIn } from '../route-spec.ts';
import { forbidden, mayNamePerson, notFound, signedIn, timeZoneOf } from './audience.ts';
import { describeDecision } from './describe-decision.ts';

const actionEnum = z.enum(['allow', 'block', 'warn', 'log']);
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, `.`, `_` or `-`').max(100);
const reasonSchema = z.string().trim().min(1, 'say why the policy changes').max(1000);
const siteList = z.array(z.string().min(1).max(253)).max(200);

const newRuleSchema = z.strictObject({
  id: idSchema,
  clauses: z.array(z.string().min(1).max(50)).max(50).optional(),
  title: z.string().max(200).optional(),
  who: z
    .strictObject({
      roles: z.array(idSchema).max(50).optional(),
      groups: z.array(idSchema).max(200).optional(),
      minAge: z.number().int().min(0).max(120).optional(),
      maxAge: z.number().int().min(0).max(120).optional(),
      exceptRoles: z.array(idSchema).max(50).optional(),
    })
    .optional(),
  when: z.union([z.literal('always'), z.array(idSchema).min(1).max(20)]).optional(),
  what: z.strictObject({
    categories: z.array(idSchema).max(64).optional(),
    sites: siteList.optional(),
    fileTypes: z.array(z.string().regex(/^[a-z0-9]+$/, 'must be an extension without the dot, like exe')).max(50).optional(),
    ipLiteral: z.boolean().optional(),
    belowMinimumAge: z.boolean().optional(),
    any: z.boolean().optional(),
  }),
  action: actionEnum,
  reason: z.string().trim().min(1).max(1000),
  circumvention: z.boolean().optional(),
});

const editAnswer = z.object({
  changed: z.boolean(),
  rule: z.record(z.string(), z.unknown()).nullable(),
  before: z.record(z.string(), z.unknown()).nullable(),
  revision: z.string(),
  reload: z.object({ ok: z.boolean(), problems: z.array(z.string()) }),
});

/** The policy as the dashboard shows it. */
export function renderPolicy(policy: ResolvedPolicy, engineRevision: string, editableFile: string): Record<string, unknown> {
  const editable = resolve(editableFile);
  const editableLayer = policy.layers.find((layer) => resolve(layer.file) === editable)?.id ?? null;
  return {
    revision: policy.revision,
    engineRevision,
    layers: policy.layers.map((layer) => ({
      ...layer,
      editable: layer.id === editableLayer,
      lockedRules: policy.rules.filter((rule) => rule.layerId === layer.id && (rule.lock || rule.legal)).map((rule) => rule.id),
    })),
    clauses: Object.entries(policy.clauses).map(([id, clause]) => ({
      id,
      text: clause.title,
      layer: clause.layer,
      handling: clause.handling,
      by: clause.by,
      ...(clause.note !== undefined ? { note: clause.note } : {}),
    })),
    rules: policy.rules.map((rule) => ({
      id: rule.id,
      layer: rule.layerId,
      layerKind: rule.layerKind,
      ...(rule.title !== undefined ? { title: rule.title } : {}),
      clauses: rule.clauses,
      who: rule.who,
      when: rule.when,
      what: rule.what,
      action: rule.action,
      reason: rule.reason,
      circumvention: rule.circumvention,
      locked: rule.lock,
      legal: rule.legal,
      editable: rule.layerId === editableLayer && !rule.lock && !rule.legal,
    })),
    categories: Object.entries(policy.categories).map(([id, c]) => ({ id, title: c.title ?? id, description: c.description ?? null, includes: c.includes, private: c.private })),
    roles: Object.entries(policy.roles).map(([id, r]) => ({ id, title: r.title ?? id, staff: r.staff, child: r.child, sameAs: r.sameAs ?? null })),
    roleSets: policy.roleSets,
    groups: Object.entries(policy.groups).map(([id, g]) => ({ id, title: g.title ?? id, role: g.role ?? null, within: g.within ?? null })),
    windows: Object.entries(policy.calendar?.windows ?? {}).map(([id, w]) => ({ id, ...w })),
    timeZone: policy.calendar?.timeZone ?? 'UTC',
    default: policy.default,
    monitoringPurposes: Object.entries(policy.monitoringPurposes ?? {}).map(([id, p]) => ({ id, title: p.title, clause: p.clause ?? null })),
  };
}

function decisionView(decision: Decision, policy: ResolvedPolicy): Record<string, unknown> {
  return {
    action: decision.action,
    kind: decision.kind,
    reason: decision.reason,
    rule: decision.rule,
    layer: decision.layer,
    clauses: [...decision.clauses],
    clauseTexts: decision.clauses.map((id) => ({ id, text: policy.clauses[id]?.title ?? null })),
    categories: [...decision.categories],
    grant: decision.grant,
    circumvention: decision.circumvention,
    supersedes: [...decision.supersedes],
    host: decision.host,
    match: decision.match,
    notes: [...decision.notes],
    policyRevision: decision.policyRevision,
  };
}

function inputError(field: string, message: string): HedgerowError {
  return new HedgerowError('HR_API_INPUT', message, { where: { field } });
}

export function policyRoutes(deps: ApiDeps): RouteSpec[] {
  async function applyEdit(account: SignedIn, edit: PolicyEdit, reason: string, auditAction: string): Promise<Record<string, unknown>> {
    const result: PolicyFileEditResult = await editPolicyFile(deps.policyFiles().school, edit);
    if (!result.changed) return { changed: false, rule: result.after, before: result.before, revision: deps.engine().revision, reload: { ok: true, problems: [] } };
    // the file is written: the audit record comes before anything else can fail
    await deps.audit.append({ actor: account.username, action: auditAction, subject: `policy-rule:${result.rule}`, before: result.before, after: result.after, reason });
    const reload = deps.reload();
    return { changed: true, rule: result.after, before: result.before, revision: reload.revision, reload: { ok: reload.ok, problems: reload.problems } };
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/api/policy',
      action: 'policy.read',
      summary: 'The policy in force: layers, clauses with their text, rules, categories, roles, groups and time windows',
      tags: ['policy'],
      handler() {
        const engine = deps.engine();
        return renderPolicy(engine.policy, engine.revision, deps.policyFiles().school);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/policy/simulate',
      action: 'policy.simulate',
      summary: 'What a person, role or group would see for a URL at a time, from the engine and overrides in force',
      tags: ['policy'],
      body: z.strictObject({
        url: z.string().min(1).max(8192),
        /** ISO local time in the school's zone (`2026-11-24T10:15`), an ISO instant, or epoch ms; default now */
        at: z.union([z.number().int().min(0), z.string().min(1).max(64)]).optional(),
        person: z.string().min(1).max(128).optional(),
        role: z.string().min(1).max(64).optional(),
        groups: z.array(z.string().min(1).max(64)).max(50).optional(),
        age: z.number().int().min(0).max(130).optional(),
      }),
      handler(context) {
        const body = context.body;
        const engine = deps.engine();
        const policy = engine.policy;
        const timeZone = timeZoneOf(engine);
        const at = body.at === undefined ? deps.now() : typeof body.at === 'number' ? body.at : parseZonedTime(body.at, timeZone);
        if (!Number.isFinite(at)) throw inputError('at', `\`${String(body.at)}\` is not a time like 2026-11-24T10:15 (school time) or epoch milliseconds`);

        let person: Person;
        if (body.person !== undefined) {
          const username = normaliseUsername(body.person);
          const record = username ? deps.people.get(username) : null;
          if (!record) throw notFound(`no person \`${body.person}\` in the people store`);
          // a named person's groups and age are personal data: the people readers see anyone,
          // others only those whose activity they could read
          const account = signedIn(context.account);
          if (!context.can('people.read') && !mayNamePerson(record.username, account, (a) => context.can(a), policy, record)) {
            throw forbidden(`you may not simulate \`${record.username}\` by name; give a role and groups instead`);
          }
          const age = body.age ?? (record.dateOfBirth ? ageOn(record.dateOfBirth, at, timeZone) : null);
          person = { id: record.username, role: body.role ?? record.role, groups: body.groups ?? record.groups, ...(age !== null && age !== undefined ? { age } : {}) };
        } else {
          if (body.role === undefined) throw inputError('role', 'give a person, or a role (and groups) to simulate');
          person = { role: body.role, ...(body.groups ? { groups: body.groups } : {}), ...(body.age !== undefined ? { age: body.age } : {}) };
        }
        if (engine.roleOf(person) === null) throw inputError('role', `unknown role \`${person.role}\` (the policy has ${Object.keys(policy.roles).join(', ')})`);
        const unknownGroup = (person.groups ?? []).findIndex((group) => !policy.groups[group]);
        if (unknownGroup >= 0) throw inputError(`groups[${unknownGroup}]`, `unknown group \`${person.groups![unknownGroup]}\``);

        const decision = engine.decide({ person, url: body.url, at, grants: deps.overrides.current() });
        return {
          decision: { ...decisionView(decision, policy), explanation: describeDecision(decision, engine, at) },
          person: { id: person.id ?? null, role: person.role, groups: [...(person.groups ?? [])], age: person.age ?? null },
          at,
          time: engine.calendar ? engine.calendar.describe(at) : new Date(at).toISOString(),
        };
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/policy/rules/:id',
      action: 'policy.edit',
      summary: "Add or remove sites of a school rule, or change its action; linted first (422 with the linter's lines), audited, then reloaded",
      tags: ['policy'],
      params: z.strictObject({ id: idSchema }),
      body: z.strictObject({
        sites: z.strictObject({ add: siteList.optional(), remove: siteList.optional() }).optional(),
        action: actionEnum.optional(),
        reason: reasonSchema,
      }),
      response: editAnswer,
      async handler(context) {
        const account = signedIn(context.account);
        const { sites, action, reason } = context.body;
        if ((sites?.add?.length ?? 0) + (sites?.remove?.length ?? 0) === 0 && action === undefined) {
          throw new PolicyEditError('HR_POLICY_EDIT_INPUT', 'the edit changes nothing: give sites to add or remove, or an action', [{ field: 'sites', message: 'give sites to add or remove, or an action' }]);
        }
        const edit: PolicyEdit = { kind: 'change', rule: context.params.id, ...(sites ? { sites } : {}), ...(action ? { action } : {}) };
        return applyEdit(account, edit, reason, 'policy.rule.change');
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/policy/rules',
      action: 'policy.edit',
      summary: 'Add a rule to the school layer; linted first (422 with the linter\'s lines), audited, then reloaded',
      tags: ['policy'],
      body: z.strictObject({ rule: newRuleSchema, reason: reasonSchema }),
      response: editAnswer,
      async handler(context) {
        const account = signedIn(context.account);
        const answer = await applyEdit(account, { kind: 'add', rule: context.body.rule }, context.body.reason, 'policy.rule.add');
        context.reply.code(201);
        return answer;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/policy/rules/:id',
      action: 'policy.edit',
      summary: 'Delete a rule of the school layer (never a locked, legal or higher layer\'s rule); linted, audited, reloaded',
      tags: ['policy'],
      params: z.strictObject({ id: idSchema }),
      body: z.strictObject({ reason: reasonSchema }),
      response: editAnswer,
      async handler(context) {
        const account = signedIn(context.account);
        return applyEdit(account, { kind: 'delete', rule: context.params.id }, context.body.reason, 'policy.rule.delete');
      },
    }),
  ];
}
