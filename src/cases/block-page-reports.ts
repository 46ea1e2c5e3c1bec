// What people send from the block page: "request access" (8.4) becomes an unblock request,
// "I reached this by accident" (council internet rules) and "tell a teacher" (7.8) become
// reports, all in the typed store of src/cases/requests. Who is asking comes from the page's
// signed ticket (the proxy knew the person); a forged or expired ticket is refused; a form with
// no ticket (an older page, the DNS block page before it carried one) falls back to the
// network's identity and the engine's view of the URL. Every field is cut to its limit.
import type { Person } from '../engine/index.ts';
import { normaliseHost, normaliseTarget } from '../engine/index.ts';
import { cutField as cut, FIELD_LIMITS, type Asker, type BlockTickets, type BlockTicketFields, type RequestsWorkflow } from './requests/index.ts';

export type BlockFormKind = 'request-access' | 'accident' | 'tell-teacher';
export const BLOCK_FORM_KINDS: readonly BlockFormKind[] = ['request-access', 'accident', 'tell-teacher'];

export interface BlockFormSubmission {
  kind: BlockFormKind;
  /** the form's fields as posted (urlencoded) */
  fields: unknown;
  clientIp: string;
  /** who the network says this is; asked only when the form has no ticket */
  network(): Person;
  /** the engine's view of the URL for that person; asked only when the form has no ticket */
  decide(person: Person, url: string): { categories: readonly string[]; clauses: readonly string[] };
}

export type BlockFormResult =
  | { ok: true; kind: BlockFormKind; id: string; duplicate: boolean; person: Person; identifiedBy: 'ticket' | 'network' }
  | { ok: false; problem: 'forged' | 'expired' | 'malformed' };

export interface BlockPageFormsOptions {
  workflow: RequestsWorkflow;
  tickets: BlockTickets;
}

function field(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export class BlockPageForms {
  constructor(private readonly options: BlockPageFormsOptions) {}

  /** The ticket a block page puts in its forms. */
  ticket(fields: BlockTicketFields): string {
    return this.options.tickets.sign(fields);
  }

  async receive(submission: BlockFormSubmission): Promise<BlockFormResult> {
    const { kind, fields, clientIp } = submission;
    const message = cut(field(fields, 'message'), FIELD_LIMITS.text);
    const token = field(fields, 'ticket').trim();
    let asker: Asker;
    let person: Person;
    let url: string;
    let host: string;
    let categories: readonly string[];
    let clauses: readonly string[];
    let eventId: string | null;
    let ticketKey: string | null = null;
    if (token !== '') {
      const check = this.options.tickets.verify(token);
      if (!check.ok) return { ok: false, problem: check.reason };
      const t = check.ticket;
      person = { ...(t.person !== null ? { id: t.person } : {}), role: t.role, groups: t.groups };
      asker = { person: t.person, role: t.role, groups: t.groups, clientIp };
      ({ url, host, categories, clauses } = t);
      eventId = t.eventId;
      ticketKey = `${t.eventId}:${kind}`;
    } else {
      person = submission.network();
      url = cut(field(fields, 'url'), FIELD_LIMITS.url);
      const named = cut(field(fields, 'host'), FIELD_LIMITS.host);
      const target = named !== '' ? normaliseHost(named) : normaliseTarget(url);
      host = target.error === '' ? target.host : '';
      // the form's own categories and clauses are not trusted: the engine says them again
      const view = url !== '' || host !== '' ? submission.decide(person, url || host) : { categories: [], clauses: [] };
      categories = view.categories;
      clauses = view.clauses;
      eventId = cut(field(fields, 'reference'), FIELD_LIMITS.eventId) || null;
      asker = { person: person.id ?? null, role: person.role, groups: [...(person.groups ?? [])], clientIp };
    }
    const actor = asker.person ?? `network:${clientIp}`;
    const identifiedBy = ticketKey !== null ? 'ticket' : 'network';
    if (kind === 'request-access') {
      const { request, duplicate } = await this.options.workflow.unblock.submit({ asker, source: 'block-page', eventId, ticketKey, url: url || host, host, categories, clauses, reason: message }, actor);
      return { ok: true, kind, id: request.id, duplicate, person, identifiedBy };
    }
    const { report, duplicate } = await this.options.workflow.reports.create(
      { kind, asker, source: 'block-page', eventId, ticketKey, url: url || null, host: host || null, categories, message },
      actor,
    );
    return { ok: true, kind, id: report.id, duplicate, person, identifiedBy };
  }
}
