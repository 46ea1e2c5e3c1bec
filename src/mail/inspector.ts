// The mail inspector: one message and its envelope in, a verdict out. It parses the message,
// reads the text of its parts, runs the detectors, and lets the policy's mail rules turn the
// signals into an action, with reasons that cite the clauses. It never throws on a message:
// a malformed one gets a 554 5.6.0 verdict.
//
// Rules by direction (ids as in the policy's `mail.rules`):
//   outbound  personal-data-external  personal-data score ≥ rejectAt (or ≥ warnAt: warn) and a
//                                     recipient outside the internal and secure domains
//             forward-webmail         a webmail recipient and forwarding evidence (forwarding.ts)
//             bcc                     envelope recipients not in To or Cc, or a Bcc header
//             recipient-limit         more distinct recipients than the limit
//             reply-all-sensitive     a reply to two or more people with personal data (≥ warnAt)
//             chain-mail, offensive   a phrase of the word lists
//   inbound   phishing                phishing score ≥ quarantineAt (phishing.ts)
//   both      gtube                   the GTUBE test string
// The verdict's action is the most severe of the fired rules: reject > quarantine > warn > deliver.
import PostalMime, { type Email } from 'postal-mime';
import { MAIL_RULE_IDS, type MailAction, type MailRuleId, type ResolvedMailPolicy } from '../policy/index.ts';
import { attachmentKind, attachmentText, DEFAULT_ATTACHMENT_LIMITS, type AttachmentLimits } from './attachment-text.ts';
import { domainOf, matchDomain, normaliseAddress } from './domains.ts';
import { autoForwardEvidence, manualForwardPrefix } from './forwarding.ts';
import { htmlToText } from './html-text.ts';
import { structuralProblem } from './mime-check.ts';
import { foldName } from './name-matcher.ts';
import { foldedWords } from './word-index.ts';
import { PhishingChecks } from './phishing.ts';
import { buildSignalTable, type SignalInfo, type SignalTable } from './signal-catalogue.ts';
import { TextScanner } from './text-scanner.ts';
import type { MailEnvelope, MailInspector, MailReason, MailSignal, MailSignalWhere, MailVerdict, MailVerdictAction } from './types.ts';

export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export interface InspectLimits extends AttachmentLimits {
  /** attachments read per message (more are counted but not read) */
  maxAttachments: number;
  /** attached messages read inside attached messages, at most this deep */
  maxMessageDepth: number;
  /** signals kept in a verdict */
  maxSignals: number;
}

export const DEFAULT_INSPECT_LIMITS: InspectLimits = { ...DEFAULT_ATTACHMENT_LIMITS, maxAttachments: 50, maxMessageDepth: 2, maxSignals: 100 };

export interface MailInspectorOptions {
  policy: ResolvedMailPolicy;
  /** full names from the roster (pupils and staff) */
  names?: readonly string[];
  now?: () => number;
  limits?: Partial<InspectLimits>;
}

interface TextPart {
  where: 'subject' | 'body' | 'attachment';
  attachment?: string;
  text: string;
  csv: boolean;
}

interface Found {
  info: SignalInfo;
  where: MailSignalWhere;
  attachment?: string;
  match: string;
  language?: string;
}

const SEVERITY: Readonly<Record<MailVerdictAction, number>> = { deliver: 0, warn: 1, quarantine: 2, reject: 3 };
const PARSE_OPTIONS = { attachmentEncoding: 'arraybuffer', maxNestingDepth: 64 } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function quoteList(values: readonly string[], max = 3): string {
  const shown = values.slice(0, max).map((v) => `\`${v}\``);
  return values.length > max ? `${shown.join(', ')} and ${values.length - max} more` : shown.join(', ');
}

function whereText(signal: Found): string {
  switch (signal.where) {
    case 'attachment':
      return `in the attachment \`${signal.attachment ?? 'unnamed'}\``;
    case 'subject':
      return 'in the subject';
    case 'body':
      return 'in the body';
    default:
      return `in the ${signal.where}`;
  }
}

function describe(found: readonly Found[], max = 3): string {
  const parts = found.slice(0, max).map((f) => `${f.info.label} ${f.match} ${whereText(f)}`);
  return found.length > max ? `${parts.join(', ')} and ${found.length - max} more` : parts.join(', ');
}

/** SMTP replies are US-ASCII: `…` becomes `...`, other characters outside ASCII `?`. */
function smtpText(text: string): string {
  return text
    .replace(/…/g, '...')
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, '-')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

function clauseNote(clause: string | undefined): string {
  return clause ? ` (clause ${clause})` : '';
}

/** Addresses of To and Cc (and of Bcc when a client left it in). */
function headerAddresses(list: Email['to']): string[] {
  const out: string[] = [];
  for (const entry of list ?? []) {
    if (entry.group) for (const member of entry.group) out.push(normaliseAddress(member.address));
    else if (entry.address) out.push(normaliseAddress(entry.address));
  }
  return out;
}

export function createMailInspector(options: MailInspectorOptions): MailInspector {
  const policy = options.policy;
  const now = options.now ?? Date.now;
  const limits: InspectLimits = { ...DEFAULT_INSPECT_LIMITS, ...options.limits };
  const table: SignalTable = buildSignalTable(policy);
  const scanner = new TextScanner({ markings: policy.markings, wordLists: policy.wordLists, names: options.names ?? [] });
  const phishing = new PhishingChecks(policy.internalDomains, scanner.names);
  const signal = (name: string): SignalInfo => {
    const info = table.get(name);
    // NOTE: a detector naming a signal the catalogue lacks is a fault in this module.
    if (!info) throw new Error(`signal \`${name}\` is not in src/mail/signals.yaml`);
    return info;
  };

  async function collect(email: Email, depth: number, parts: TextPart[], unreadable: Found[], readAttachments: boolean, inside?: string): Promise<void> {
    const where = inside ? 'attachment' : undefined;
    if (email.subject) parts.push({ where: where ?? 'subject', ...(inside ? { attachment: inside } : {}), text: email.subject, csv: false });
    if (email.text) parts.push({ where: where ?? 'body', ...(inside ? { attachment: inside } : {}), text: email.text, csv: false });
    // The HTML part is read too: it may say what the plain part does not.
    if (email.html) parts.push({ where: where ?? 'body', ...(inside ? { attachment: inside } : {}), text: htmlToText(email.html), csv: false });
    if (!readAttachments) return;
    let read = 0;
    for (const attachment of email.attachments) {
      if (attachment.related && attachment.mimeType.startsWith('image/')) continue;
      const name = inside ?? attachment.filename ?? attachment.mimeType;
      const bytes = typeof attachment.content === 'string' ? new TextEncoder().encode(attachment.content) : new Uint8Array(attachment.content);
      const kind = attachmentKind(attachment.mimeType, attachment.filename);
      if (kind === 'other') continue;
      if (read >= limits.maxAttachments) {
        unreadable.push({ info: signal('attachment.unreadable'), where: 'attachment', attachment: name, match: `more than ${limits.maxAttachments} attachments; the rest were not read` });
        break;
      }
      read++;
      if (kind === 'message') {
        if (depth >= limits.maxMessageDepth || structuralProblem(bytes)) {
          unreadable.push({ info: signal('attachment.unreadable'), where: 'attachment', attachment: name, match: 'an attached message that was not read' });
          continue;
        }
        try {
          await collect(await PostalMime.parse(bytes, PARSE_OPTIONS), depth + 1, parts, unreadable, true, name);
        } catch {
          unreadable.push({ info: signal('attachment.unreadable'), where: 'attachment', attachment: name, match: 'an attached message that cannot be parsed' });
        }
        continue;
      }
      const result = await attachmentText(attachment.mimeType, attachment.filename, bytes, limits);
      if (result.text !== null) parts.push({ where: 'attachment', attachment: name, text: result.text, csv: result.kind === 'csv' });
      if (result.problem) unreadable.push({ info: signal('attachment.unreadable'), where: 'attachment', attachment: name, match: result.problem });
    }
  }

  function malformed(problem: string, size: number, subject = '', from = ''): MailVerdict {
    const text = smtpText(`malformed message: ${problem}`);
    return {
      action: 'reject',
      signals: [],
      reasons: [{ text, rule: 'malformed' }],
      smtp: { code: 554, enhanced: '5.6.0', message: text },
      warnings: [],
      message: { subject, from, messageId: null, size },
      rules: [],
      scores: { personalData: 0, phishing: 0 },
      inspectedAt: now(),
    };
  }

  async function inspect(raw: Uint8Array, envelope: MailEnvelope): Promise<MailVerdict> {
    const size = raw.byteLength;
    const problem = structuralProblem(raw);
    if (problem) return malformed(problem, size, '', envelope.mailFrom);
    let email: Email;
    try {
      email = await PostalMime.parse(raw, PARSE_OPTIONS);
    } catch (error) {
      return malformed(`the MIME structure cannot be read: ${(error as Error).message.split('\n')[0]!.slice(0, 160)}`, size, '', envelope.mailFrom);
    }
    const subject = (email.subject ?? '').replace(/[\r\n]+/g, ' ');
    const fromAddress = email.from && 'address' in email.from && email.from.address ? normaliseAddress(email.from.address) : normaliseAddress(envelope.mailFrom);

    const parts: TextPart[] = [];
    const found: Found[] = [];
    const outbound = envelope.direction === 'outbound';
    // Inbound mail is judged on its headers, links and body; only outbound attachments are read.
    await collect(email, 0, parts, found, outbound);

    // Detectors: each text once; a value found twice (plain and HTML body) counts once.
    const seen = new Set<string>();
    const add = (f: Found, key: string) => {
      const k = `${f.info.name}\0${key}`;
      if (seen.has(k)) return;
      seen.add(k);
      found.push(f);
    };
    const senderNames = new Set<string>();
    if (email.from && 'address' in email.from && email.from.name && foldedWords(email.from.name).length >= 2) senderNames.add(foldName(email.from.name));
    const local = envelope.mailFrom.split('@')[0] ?? '';
    if (/[._]/.test(local)) senderNames.add(foldName(local.replace(/[._]+/g, ' ')));
    let gtube = false;
    for (const part of parts) {
      if (!gtube && part.text.includes(GTUBE)) gtube = true;
      if (!outbound) continue;
      for (const hit of scanner.scan(part.text, { personalData: true, words: true, csv: part.csv, excludeNames: senderNames })) {
        add({ info: signal(hit.signal), where: part.where, ...(part.attachment ? { attachment: part.attachment } : {}), match: hit.match, ...(hit.language ? { language: hit.language } : {}) }, hit.key);
      }
    }
    if (gtube) add({ info: signal('spam.gtube'), where: 'body', match: 'GTUBE' }, 'gtube');

    const recipients = [...new Set(envelope.rcptTo.map(normaliseAddress))];
    const fired: Array<{ id: MailRuleId; action: MailAction; text?: string }> = [];
    const fire = (id: MailRuleId, action: MailAction, text: string) => fired.push({ id, action, text });
    const ofRule = (id: MailRuleId) => found.filter((f) => f.info.feeds === id);
    const weight = (list: readonly Found[]) => list.reduce((sum, f) => sum + f.info.weight, 0);

    const personal = ofRule('personal-data-external');
    const personalScore = weight(personal);
    let phishingScore = 0;

    if (outbound) {
      const secure = policy.secureRoute?.domains ?? [];
      const external = recipients.filter((r) => {
        const d = domainOf(r);
        return !matchDomain(d, policy.internalDomains) && !matchDomain(d, secure);
      });
      const externalDomains = [...new Set(external.map(domainOf))];
      const rule = policy.rules['personal-data-external'];
      if (external.length > 0 && personalScore >= policy.personalData.warnAt && personal.length > 0) {
        const action: MailAction =
          personalScore >= policy.personalData.rejectAt ? rule.action : rule.action === 'deliver' ? 'deliver' : 'warn';
        const refuse = action === 'reject' || action === 'quarantine';
        const route = policy.secureRoute ? `${policy.secureRoute.name}${policy.secureRoute.address ? ` (${policy.secureRoute.address})` : ''}` : 'a secure route';
        const sorted = [...personal].sort((a, b) => b.info.weight - a.info.weight);
        const text = refuse
          ? `personal data cannot be sent to ${quoteList(externalDomains)}${clauseNote(rule.clauses[0])}: ${describe(sorted)}; send it through ${route} instead`
          : `check the personal data before sending to ${quoteList(externalDomains)}${clauseNote(rule.clauses[0])}: ${describe(sorted)}; leave out what is not needed (full names where initials or a reference would do), or use ${route}`;
        fire('personal-data-external', action, text);
      }

      const webmail = recipients.filter((r) => matchDomain(domainOf(r), policy.webmailDomains));
      if (webmail.length > 0) {
        const evidence = autoForwardEvidence(email.headers);
        const manual = manualForwardPrefix(subject);
        if (evidence.length > 0) add({ info: signal('forward.auto'), where: 'header', match: evidence.slice(0, 3).join('; ') }, 'auto');
        if (manual) add({ info: signal('forward.manual'), where: 'subject', match: manual }, 'manual');
        if (evidence.length > 0 || manual) {
          const rule = policy.rules['forward-webmail'];
          const how = evidence.length > 0 ? `it carries ${evidence.map((e) => `\`${e.split(':')[0]}\``).slice(0, 3).join(', ')}` : `its subject starts \`${manual}\``;
          fire('forward-webmail', rule.action, `council mail cannot be forwarded to the personal mailbox ${quoteList(webmail)}${clauseNote(rule.clauses[0])}: ${how}`);
        }
      }

      const shown = new Set([...headerAddresses(email.to), ...headerAddresses(email.cc)]);
      const blind = [...new Set([...recipients.filter((r) => !shown.has(r)), ...headerAddresses(email.bcc)])];
      if (blind.length > 0) {
        add({ info: signal('recipients.bcc'), where: 'envelope', match: `${blind.length} blind ${blind.length === 1 ? 'copy' : 'copies'}` }, 'bcc');
        const rule = policy.rules.bcc;
        fire('bcc', rule.action, `${plural(blind.length, 'recipient')} ${blind.length === 1 ? 'gets' : 'get'} a blind copy (bcc)${clauseNote(rule.clauses[0])}`);
      }

      const everyone = new Set([...recipients, ...shown]);
      if (policy.recipientLimit !== null && everyone.size > policy.recipientLimit) {
        add({ info: signal('recipients.over-limit'), where: 'envelope', match: `${everyone.size} recipients` }, 'limit');
        const rule = policy.rules['recipient-limit'];
        fire('recipient-limit', rule.action, `the message goes to ${everyone.size} recipients, more than the limit of ${policy.recipientLimit}${clauseNote(rule.clauses[0])}`);
      }

      const isReply = Boolean(email.inReplyTo || email.references) || /^\s*(?:re|aw)\s*:/i.test(subject);
      if (isReply && shown.size >= 2 && personal.length > 0 && personalScore >= policy.personalData.warnAt) {
        add({ info: signal('recipients.reply-all-sensitive'), where: 'header', match: `a reply to ${shown.size} recipients` }, 'reply-all');
        const rule = policy.rules['reply-all-sensitive'];
        fire('reply-all-sensitive', rule.action, `a reply to ${shown.size} recipients carries personal data${clauseNote(rule.clauses[0])}: ${describe(personal)}`);
      }

      for (const [id, name, what] of [
        ['chain-mail', 'content.chain-mail', 'chain mail is not allowed'],
        ['offensive', 'content.offensive', 'offensive or discriminatory content is not allowed'],
      ] as const) {
        const hits = found.filter((f) => f.info.name === name);
        if (hits.length === 0) continue;
        const rule = policy.rules[id];
        const phrases = hits.slice(0, 3).map((h) => `\`${h.match}\`${h.language ? ` (${h.language})` : ''} ${whereText(h)}`);
        fire(id, rule.action, `${what}${clauseNote(rule.clauses[0])}: ${phrases.join(', ')}${hits.length > 3 ? ` and ${hits.length - 3} more` : ''}`);
      }
    } else {
      for (const hit of phishing.check(email, envelope.mailFrom)) add({ info: signal(hit.signal), where: hit.where, match: hit.match }, hit.key);
      const phish = ofRule('phishing');
      phishingScore = weight(phish);
      if (phish.length > 0 && phishingScore >= policy.phishing.quarantineAt) {
        const rule = policy.rules.phishing;
        fire('phishing', rule.action, `the message looks like phishing${clauseNote(rule.clauses[0])}: ${phish.slice(0, 3).map((f) => `${f.info.label}: ${f.match}`).join('; ')}`);
      }
    }

    if (gtube) {
      const rule = policy.rules.gtube;
      fire('gtube', rule.action, `the message carries the GTUBE spam test string${clauseNote(rule.clauses[0])}`);
    }

    // Most severe first; among equals, in the order of the rule list.
    fired.sort((a, b) => SEVERITY[b.action] - SEVERITY[a.action] || MAIL_RULE_IDS.indexOf(a.id) - MAIL_RULE_IDS.indexOf(b.id));
    const acting = fired.filter((f) => f.action !== 'deliver');
    const action: MailVerdictAction = acting[0]?.action ?? 'deliver';
    const reasons: MailReason[] = acting.map((f) => {
      const rule = policy.rules[f.id];
      const advice = rule.advice ? ` ${rule.advice}` : '';
      return { text: `${f.text}.${advice}`, ...(rule.clauses[0] ? { clause: rule.clauses[0] } : {}), rule: f.id };
    });
    const signals: MailSignal[] = found.slice(0, limits.maxSignals).map((f) => ({
      name: f.info.name,
      weight: f.info.weight,
      description: f.info.description,
      ...(f.info.clause ? { clause: f.info.clause } : {}),
      where: f.where,
      ...(f.attachment !== undefined ? { attachment: f.attachment } : {}),
      match: f.match,
      ...(f.language ? { language: f.language } : {}),
    }));
    const smtp =
      action === 'reject'
        ? { code: 550, enhanced: '5.7.1', message: smtpText(reasons[0]!.text) }
        : { code: 250, enhanced: '2.0.0', message: action === 'warn' ? 'accepted; the sender is sent a warning' : 'accepted' };
    return {
      action,
      signals,
      reasons,
      smtp,
      warnings: action === 'warn' ? reasons.filter((r) => fired.find((f) => f.id === r.rule)?.action === 'warn').map((r) => r.text) : [],
      message: { subject, from: fromAddress, messageId: email.messageId ?? null, size },
      rules: fired.map((f) => ({ id: f.id, action: f.action })),
      scores: { personalData: personalScore, phishing: phishingScore },
      inspectedAt: now(),
    };
  }

  return { inspect };
}
