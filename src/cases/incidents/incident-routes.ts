// The incidents API. Reporting (the form with its 9.3 guidance, opening a case, adding evidence)
// needs `incidents.report`; what a reporter reads back is limited to their own cases and their
// own evidence. Everything else — every case, parties, next steps, escalation, closure — needs
// `incidents.manage`. Each view of a case or of evidence is audited by the store.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteContext, type RouteSpec, type SignedIn } from '../../api/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import { checkDeclaredLength, readEvidenceBody } from './evidence-body.ts';
import {
  CLOSURE_OUTCOMES,
  INCIDENT_STATUSES,
  INCIDENT_TYPES,
  PARTY_KINDS,
  PARTY_ROLES,
  POLICE_CRITERIA,
  REMOVAL_RESULTS,
  type IncidentCase,
  type PartyInput,
  type ReporterView,
} from './incident-model.ts';
import type { IncidentStore, Viewer } from './incident-store.ts';

export interface IncidentRouteDeps {
  incidents: IncidentStore;
}

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const stepParams = z.strictObject({ id: z.string().min(1).max(64), stepId: z.string().min(1).max(64) });
const evidenceParams = z.strictObject({ id: z.string().min(1).max(64), evidenceId: z.string().min(1).max(64) });
const epochMs = z.number().int().min(1).max(8_640_000_000_000_000);

const partyBody = z.strictObject({
  kind: z.enum(PARTY_KINDS),
  name: z.string().max(200).nullish(),
  username: z.string().max(128).nullish(),
  role: z.enum(PARTY_ROLES),
  note: z.string().max(500).nullish(),
});

const newIncidentBody = z.strictObject({
  type: z.enum(INCIDENT_TYPES),
  platform: z.string().max(200).nullish(),
  description: z.string().trim().min(1).max(8000),
  occurredAt: epochMs,
  parties: z.array(partyBody).max(50).optional(),
  criteria: z.array(z.enum(POLICE_CRITERIA)).max(POLICE_CRITERIA.length).optional(),
});

/** Fallback when the policy cannot be read while the routes are built (a probe list). */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

function signedIn(account: SignedIn | null): SignedIn {
  // mountApi only runs non-public handlers for a signed-in account
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first; the session has ended or there is none');
  return account;
}

function viewerOf(context: RouteContext<unknown, unknown, unknown>): Viewer {
  return { username: signedIn(context.account).username, manage: context.can('incidents.manage') };
}

/** A limited view made from a whole case, for its reporter (no parties, steps or notes). */
export function reporterView(found: IncidentCase, username: string): ReporterView {
  return {
    id: found.id,
    type: found.type,
    status: found.status,
    platform: found.platform,
    description: found.description,
    occurredAt: found.occurredAt,
    reportedAt: found.reportedAt,
    closedAt: found.closure?.at ?? null,
    evidence: found.evidence.filter((e) => e.uploadedBy === username),
    limited: true,
  };
}

/** `attachment` with an ASCII fallback name and the UTF-8 original (RFC 6266). */
function attachment(name: string, fallback: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || fallback;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Checks usernames against the roster and fills in the roster's name. A username whose role
 * does not fit the party's kind (a pupil entered as a colleague) is refused: the next steps
 * depend on the kind.
 */
function withRosterNames(deps: ApiDeps, policy: ResolvedPolicy, parties: readonly PartyInput[], field: (index: number) => string): PartyInput[] {
  return parties.map((party, index) => {
    const username = party.username?.trim();
    if (!username) return party;
    const where = field(index);
    const person = deps.people.get(username);
    if (!person) throw new HedgerowError('HR_INCIDENTS_INPUT', `\`${username}\` is not on the roster`, { where: { field: where } });
    const role = policy.roles[person.role];
    const effective = role?.sameAs ? policy.roles[role.sameAs] : role;
    if (party.kind === 'pupil' && effective?.child !== true) {
      throw new HedgerowError('HR_INCIDENTS_INPUT', `\`${username}\` is not a pupil on the roster`, { where: { field: where } });
    }
    if (party.kind === 'colleague' && effective?.staff !== true) {
      throw new HedgerowError('HR_INCIDENTS_INPUT', `\`${username}\` is not a member of staff on the roster`, { where: { field: where } });
    }
    return { ...party, username, name: party.name?.trim() || person.displayName };
  });
}

export function incidentRoutes(deps: ApiDeps, own: IncidentRouteDeps): RouteSpec[] {
  // the store is looked up per request, so the list can be built before the stores exist
  const store = {
    get current(): IncidentStore {
      return own.incidents;
    },
  };
  let maxBytes = DEFAULT_MAX_BYTES;
  try {
    maxBytes = own.incidents.settings().evidence.maxBytes;
  } catch {
    // no store or no incident workflow yet: the route's own check answers per request
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/api/incidents/form',
      action: 'incidents.report',
      summary: 'What the report form needs: the "do not respond or retaliate" guidance (9.3), types, parties, platforms, police criteria and evidence limits',
      tags: ['incidents'],
      handler: () => store.current.form(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/incidents',
      action: 'incidents.report',
      summary: 'Incident cases, newest first: every case for incidents.manage, else only the cases you reported (audited)',
      tags: ['incidents'],
      query: z.strictObject({
        status: z.enum([...INCIDENT_STATUSES, 'active']).optional(),
        type: z.enum(INCIDENT_TYPES).optional(),
        cursor: z.string().min(1).max(200).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
      handler: (context) => {
        const { status, type, cursor, limit } = context.query;
        return store.current.list(viewerOf(context), { ...(status ? { status } : {}), ...(type ? { type } : {}), cursor: cursor ?? null, ...(limit ? { limit } : {}) });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents',
      action: 'incidents.report',
      summary: 'Report an incident: it goes to the first role of the reporting chain (9.2), who is told at once; the next steps are proposed from the parties (9.5–9.8)',
      tags: ['incidents'],
      body: newIncidentBody,
      handler: async (context) => {
        const viewer = viewerOf(context);
        const parties = withRosterNames(deps, deps.engine().policy, context.body.parties ?? [], (i) => `parties[${i}].username`);
        const { case: created, notified } = await store.current.create({ ...context.body, parties }, viewer.username);
        context.reply.code(201);
        return { case: viewer.manage ? created : reporterView(created, viewer.username), notified, guidance: store.current.form().guidance };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/incidents/:id',
      action: 'incidents.report',
      summary: 'One case: whole for incidents.manage, limited to what you reported otherwise (audited)',
      tags: ['incidents'],
      params: idParams,
      handler: (context) => store.current.view(context.params.id, viewerOf(context)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/parties',
      action: 'incidents.manage',
      summary: 'Add a person to a case (target, alleged perpetrator, witness or reporter); the next steps follow',
      tags: ['incidents'],
      params: idParams,
      body: partyBody,
      handler: (context) => {
        const [party] = withRosterNames(deps, deps.engine().policy, [context.body], () => 'username');
        return store.current.addParty(context.params.id, party!, viewerOf(context).username);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/incidents/:id/criteria',
      action: 'incidents.manage',
      summary: 'Set the police-referral criteria the material meets (9.8); any ticked makes the police step required',
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ criteria: z.array(z.enum(POLICE_CRITERIA)).max(POLICE_CRITERIA.length) }),
      handler: (context) => store.current.setCriteria(context.params.id, context.body.criteria, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/notes',
      action: 'incidents.manage',
      summary: "Add a note to the case's chronology (append-only)",
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ text: z.string().trim().min(1).max(8000) }),
      handler: (context) => store.current.addNote(context.params.id, context.body.text, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/take',
      action: 'incidents.manage',
      summary: 'Take the case on: you become its owner and it is in progress',
      tags: ['incidents'],
      params: idParams,
      handler: (context) => store.current.take(context.params.id, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/escalate',
      action: 'incidents.manage',
      summary: 'Pass the case to the next role of the reporting chain (9.2), who is told',
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ reason: z.string().trim().min(1).max(8000) }),
      handler: (context) => store.current.escalate(context.params.id, context.body.reason, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/steps',
      action: 'incidents.manage',
      summary: 'Add a next step of your own (the policy proposes 9.5–9.8 by itself)',
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ title: z.string().trim().min(1).max(500), required: z.boolean(), owner: z.string().trim().min(1).max(128).optional(), dueAt: epochMs }),
      handler: (context) => store.current.addStep(context.params.id, context.body, viewerOf(context).username),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/incidents/:id/steps/:stepId',
      action: 'incidents.manage',
      summary: "Change an open step's owner (a role or a username) or due date",
      tags: ['incidents'],
      params: stepParams,
      body: z.strictObject({ owner: z.string().trim().min(1).max(128).optional(), dueAt: epochMs.optional() }),
      handler: (context) => store.current.updateStep(context.params.id, context.params.stepId, context.body, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/steps/:stepId/outcome',
      action: 'incidents.manage',
      summary: 'Record what came of a step; a removal request also says whether the content was removed (9.6, 9.7)',
      tags: ['incidents'],
      params: stepParams,
      body: z.strictObject({ outcome: z.string().trim().min(1).max(8000), result: z.enum(REMOVAL_RESULTS).optional() }),
      handler: (context) => store.current.recordOutcome(context.params.id, context.params.stepId, context.body, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/steps/:stepId/skip',
      action: 'incidents.manage',
      summary: 'Record why a step is not taken (for the police step, the decision not to refer, 9.8)',
      tags: ['incidents'],
      params: stepParams,
      body: z.strictObject({ reason: z.string().trim().min(1).max(8000) }),
      handler: (context) => store.current.skipStep(context.params.id, context.params.stepId, context.body.reason, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/close',
      action: 'incidents.manage',
      summary: 'Close the case with an outcome and its rationale; refused while a required step has no outcome or reason to skip',
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ outcome: z.enum(CLOSURE_OUTCOMES), rationale: z.string().trim().min(1).max(8000) }),
      handler: (context) => store.current.closeCase(context.params.id, context.body, viewerOf(context).username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/evidence',
      action: 'incidents.report',
      summary: "Add a file as evidence (9.4): the body is the file, its name, type and the incident time it shows are in the query; type checked against the bytes, size against the policy's limit",
      tags: ['incidents'],
      consumes: 'application/octet-stream',
      bodyLimit: maxBytes,
      params: idParams,
      query: z.strictObject({
        name: z.string().trim().min(1).max(255),
        type: z.string().trim().min(3).max(100),
        shows: z.coerce.number().int().min(1).optional(),
        note: z.string().max(500).optional(),
      }),
      body: z.any().describe("the file's bytes"),
      handler: async (context) => {
        const viewer = viewerOf(context);
        const limit = store.current.settings().evidence.maxBytes;
        try {
          checkDeclaredLength(context.request.headers['content-length'], limit);
          const bytes = await readEvidenceBody(context.body, limit);
          const item = await store.current.addEvidence(
            context.params.id,
            { bytes, declaredType: context.query.type, name: context.query.name, shows: context.query.shows ?? null, note: context.query.note ?? null },
            viewer,
          );
          context.reply.code(201);
          return item;
        } catch (error) {
          // the rest of an oversize body is not read; the connection ends after the answer
          if (error instanceof HedgerowError && error.code === 'HR_INCIDENTS_EVIDENCE_TOO_LARGE') context.reply.header('connection', 'close');
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/incidents/:id/evidence/url',
      action: 'incidents.report',
      summary: 'Add a web address as evidence (9.4), kept with its digest like a file',
      tags: ['incidents'],
      params: idParams,
      body: z.strictObject({ url: z.string().trim().min(1).max(4000), shows: epochMs.optional(), note: z.string().max(500).optional() }),
      handler: async (context) => {
        const item = await store.current.addUrlEvidence(context.params.id, { url: context.body.url, shows: context.body.shows ?? null, note: context.body.note ?? null }, viewerOf(context));
        context.reply.code(201);
        return item;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/incidents/:id/evidence/:evidenceId/content',
      action: 'incidents.report',
      summary: 'Download evidence as an attachment, after checking it against its digest (audited); a reporter only what they added',
      tags: ['incidents'],
      produces: 'application/octet-stream',
      params: evidenceParams,
      handler: async (context) => {
        const { item, bytes } = await store.current.readEvidence(context.params.id, context.params.evidenceId, viewerOf(context));
        const text = item.contentType === 'text/plain' || item.contentType === 'text/uri-list';
        const name = item.kind === 'url' ? `evidence-${item.id}.txt` : item.name;
        context.reply
          .header('content-type', text ? 'text/plain; charset=utf-8' : item.contentType)
          .header('content-disposition', attachment(name, `evidence-${item.id}`))
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('x-evidence-sha256', item.sha256);
        return bytes;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/incidents/:id/evidence-check',
      action: 'incidents.manage',
      summary: "Check every piece of a case's evidence against the digest taken at upload (audited)",
      tags: ['incidents'],
      params: idParams,
      handler: (context) => store.current.verifyEvidence(context.params.id, viewerOf(context)),
    }),
  ];
}
