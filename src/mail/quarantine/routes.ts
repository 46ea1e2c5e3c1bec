// The quarantine's API. Reading the list shows envelopes, signals and reasons only; a sender or
// recipient challenges; an officer with `quarantine.read-content` then opens the message, citing
// the challenge (audited); release reinjects through the relay; delete wipes the content.
import { z } from 'zod';
import { defineRoute, type RouteSpec, type SignedIn } from '../../api/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { Quarantine } from './quarantine-store.ts';

export interface QuarantineRouteDeps {
  quarantine: Quarantine;
  /**
   * The mail addresses a signed-in account receives and sends as, to tell whether it is a party
   * to a message (e.g. username at each of the policy's internal domains).
   */
  addressesOf(account: SignedIn): readonly string[];
  /** reinjects released mail with its original envelope (the filter's relay) */
  reinject(envelope: { from: string; to: string[] }, raw: Buffer): Promise<unknown>;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const reasonBody = z.object({ reason: z.string().trim().min(1).max(2000) });

function signedIn(account: SignedIn | null): SignedIn {
  // mountApi only runs non-public handlers for a signed-in account
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first; the session has ended or there is none');
  return account;
}

/** username@domain for each domain: the usual mapping when accounts are named like mailboxes. */
export function addressesAtDomains(domains: () => readonly string[]): (account: SignedIn) => string[] {
  return (account) => (account.username.includes('@') ? [account.username.toLowerCase()] : domains().map((d) => `${account.username}@${d}`.toLowerCase()));
}

export function quarantineRoutes(deps: QuarantineRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/quarantine',
      action: 'quarantine.read',
      summary: "list stopped mail: envelope, signals and reasons (never content)",
      tags: ['mail'],
      query: z.object({ status: z.enum(['held', 'released', 'deleted']).optional(), cursor: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
      handler: ({ query }) => deps.quarantine.list({ ...(query.status ? { status: query.status } : {}), cursor: query.cursor ?? null, limit: query.limit ?? 50 }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/quarantine/:id',
      action: 'quarantine.read',
      summary: 'one stopped message: envelope, signals, reasons and challenges (never content)',
      tags: ['mail'],
      params: idParams,
      handler: ({ params }) => deps.quarantine.get(params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/quarantine/:id/challenge',
      action: 'quarantine.challenge',
      summary: 'challenge the stopping of mail you sent or were sent; the content becomes readable to the ICT officer',
      tags: ['mail'],
      params: idParams,
      body: z.object({ reason: z.string().trim().min(1).max(2000), address: z.string().trim().min(3).max(320).optional() }),
      handler: async ({ params, body, account }) => {
        const who = signedIn(account);
        const mine = deps.addressesOf(who).map((a) => a.toLowerCase());
        const summary = await deps.quarantine.get(params.id);
        const parties = [summary.mailFrom, ...summary.rcptTo].map((a) => a.toLowerCase()).filter((a) => a !== '');
        // The address must be the account's own, and a party to the message.
        const address = body.address ? body.address.toLowerCase() : mine.find((a) => parties.includes(a));
        if (!address || !mine.includes(address)) {
          throw new HedgerowError('HR_MAIL_QUARANTINE_NOT_PARTY', `\`${who.username}\` neither sent nor received quarantined message \`${params.id}\``, { httpStatus: 403 });
        }
        return deps.quarantine.challenge(params.id, { actor: who.username, address, reason: body.reason });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/quarantine/:id/content',
      action: 'quarantine.read-content',
      summary: 'read a challenged message (audited with the challenge it rests on)',
      tags: ['mail'],
      params: idParams,
      query: z.object({ challenge: z.string().max(64).optional() }),
      handler: async ({ params, query, account }) => {
        const who = signedIn(account);
        const { raw, challenge } = await deps.quarantine.readContent(params.id, { actor: who.username, challengeId: query.challenge ?? null });
        return { id: params.id, challenge, size: raw.length, content: raw.toString('utf8') };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/quarantine/:id/release',
      action: 'quarantine.release',
      summary: 'release a stopped message to its recipients (reinjected with its original envelope)',
      tags: ['mail'],
      params: idParams,
      body: reasonBody,
      handler: ({ params, body, account }) => deps.quarantine.release(params.id, { actor: signedIn(account).username, reason: body.reason }, deps.reinject),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/quarantine/:id',
      action: 'quarantine.release',
      summary: "delete a stopped message's content (the record stays until retention removes it)",
      tags: ['mail'],
      params: idParams,
      body: reasonBody,
      handler: ({ params, body, account }) => deps.quarantine.delete(params.id, { actor: signedIn(account).username, reason: body.reason }),
    }),
  ];
}
