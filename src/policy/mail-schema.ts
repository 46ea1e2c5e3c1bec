// The policy's `mail` section: what the mail filter and the out-of-office and calendar checks
// enforce. Lists (domains, word lists, markings) are written by the council and refined by a
// school layer, which adds to them; single values (limits, thresholds, texts) are taken from the
// nearest layer that sets them. See `mail-resolve.ts` for the merge.
import { z } from 'zod';

/** The mail rules, each with a stable id the decision names. */
export const MAIL_RULE_IDS = [
  'personal-data-external',
  'forward-webmail',
  'bcc',
  'recipient-limit',
  'reply-all-sensitive',
  'chain-mail',
  'offensive',
  'phishing',
  'gtube',
] as const;
export type MailRuleId = (typeof MAIL_RULE_IDS)[number];

export const mailActionSchema = z.enum(['deliver', 'warn', 'reject', 'quarantine']);
export type MailAction = z.infer<typeof mailActionSchema>;

const clause = z.string().min(1);
const domain = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/\.$/, ''))
  .pipe(z.string().regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'must be a domain like example.org (subdomains are included)'));
const language = z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i, 'must be a language tag like en or cy');
/** a word or phrase; `*` stands for any one word (`forward this to * people`) */
const phrase = z.string().trim().min(2, 'must be at least 2 characters').max(200);
const signalName = z.string().regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/, 'must be a signal name like pii.nhs-number');

export const mailRuleSchema = z.strictObject({
  /** deliver means the rule only records its signals */
  action: mailActionSchema.optional(),
  clauses: z.array(clause).optional(),
  /** a sentence added to the rule's reason (what to do instead) */
  advice: z.string().min(1).optional(),
  /** lower layers cannot change a locked rule */
  lock: z.boolean().optional(),
});

export const mailSchema = z.strictObject({
  /** mail between these domains (and their subdomains) stays inside the organisation */
  internalDomains: z.array(domain).default([]),
  /** the route for personal data to outside bodies; mail to its domains counts as secure */
  secureRoute: z
    .strictObject({
      name: z.string().min(1),
      domains: z.array(domain).default([]),
      /** where staff find the secure system (a URL or an address) */
      address: z.string().min(1).optional(),
    })
    .optional(),
  /** personal mailbox providers: forwarding council mail to these is refused */
  webmailDomains: z.array(domain).default([]),
  /** more distinct recipients than this is warned (or refused, as the rule says) */
  recipientLimit: z.number().int().min(1).max(10_000).optional(),
  /** score thresholds for personal data leaving for an outside domain (sum of signal weights) */
  personalData: z
    .strictObject({ warnAt: z.number().min(0).optional(), rejectAt: z.number().min(0).optional() })
    .optional(),
  /** score threshold for inbound phishing heuristics */
  phishing: z.strictObject({ quarantineAt: z.number().min(0).optional() }).optional(),
  /** protective markings, matched in capitals as written (OFFICIAL-SENSITIVE) */
  markings: z.array(z.string().trim().min(3)).default([]),
  /** word lists per language; the matched phrase is named in the decision */
  wordLists: z
    .strictObject({
      offensive: z.record(language, z.array(phrase)).default({}),
      chain: z.record(language, z.array(phrase)).default({}),
    })
    .optional(),
  /** the signal catalogue's weights, descriptions and clauses, overridden by name */
  signals: z
    .record(
      signalName,
      z.strictObject({ weight: z.number().min(0).max(1000).optional(), description: z.string().min(1).optional(), clause: clause.optional() }),
    )
    .default({}),
  rules: z
    .strictObject(Object.fromEntries(MAIL_RULE_IDS.map((id) => [id, mailRuleSchema.optional()])) as Record<MailRuleId, z.ZodOptional<typeof mailRuleSchema>>)
    .default({}),
  outOfOffice: z
    .strictObject({
      /** the sentence every out-of-office message must contain */
      statement: z.string().min(10),
      /** the address the statement names */
      address: z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'),
      clauses: z.array(clause).default([]),
    })
    .optional(),
  calendar: z
    .strictObject({
      /** clauses of the rule that calendar subjects carry no personal data */
      clauses: z.array(clause).default([]),
      /** clauses of the exception process */
      exceptionClauses: z.array(clause).default([]),
    })
    .optional(),
});

export type MailSection = z.infer<typeof mailSchema>;
export type MailRuleSection = z.infer<typeof mailRuleSchema>;
