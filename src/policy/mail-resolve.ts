// Merging the `mail` sections of the layers. Precedence, from the council down to the school:
// - lists (internal, secure and webmail domains, markings, word lists per language) are the
//   union of every layer's: a school refines the council's lists by adding to them, and cannot
//   take an entry away;
// - single values (recipient limit, thresholds, the out-of-office statement) come from the
//   nearest layer that sets them;
// - a rule's fields come from the nearest layer that sets them, unless a higher layer locked
//   the rule, in which case a lower layer's change is reported and ignored;
// - signal overrides merge by name, field by field, nearest layer winning.
import type { SourceLocation } from '../errors/index.ts';
import type { LoadedLayer, PolicyProblem } from './load.ts';
import { MAIL_RULE_IDS, type MailAction, type MailRuleId } from './mail-schema.ts';

export interface ResolvedMailRule {
  id: MailRuleId;
  action: MailAction;
  clauses: string[];
  advice: string | null;
  lock: boolean;
  /** the layer that last set the rule, or null for the built-in default */
  layer: string | null;
}

export interface ResolvedSignalOverride {
  weight?: number;
  description?: string;
  clause?: string;
  where: SourceLocation;
}

export interface ResolvedMailPolicy {
  internalDomains: string[];
  secureRoute: { name: string; domains: string[]; address: string | null } | null;
  webmailDomains: string[];
  recipientLimit: number | null;
  personalData: { warnAt: number; rejectAt: number };
  phishing: { quarantineAt: number };
  markings: string[];
  wordLists: { offensive: Record<string, string[]>; chain: Record<string, string[]> };
  signals: Record<string, ResolvedSignalOverride>;
  rules: Record<MailRuleId, ResolvedMailRule>;
  outOfOffice: { statement: string; address: string; clauses: string[] } | null;
  calendar: { clauses: string[]; exceptionClauses: string[] };
}

/** What each rule does when no layer says otherwise. */
export const MAIL_RULE_DEFAULTS: Readonly<Record<MailRuleId, MailAction>> = {
  'personal-data-external': 'reject',
  'forward-webmail': 'reject',
  bcc: 'warn',
  'recipient-limit': 'warn',
  'reply-all-sensitive': 'warn',
  'chain-mail': 'reject',
  offensive: 'reject',
  phishing: 'quarantine',
  gtube: 'reject',
};

const DEFAULT_WARN_AT = 2;
const DEFAULT_REJECT_AT = 5;
const DEFAULT_QUARANTINE_AT = 5;

function union(into: string[], values: readonly string[]): void {
  for (const value of values) if (!into.includes(value)) into.push(value);
}

/**
 * The merged mail policy of a layer chain, or null when no layer has a `mail` section. Problems
 * (unknown clauses, changes to locked rules) are appended to `problems` with their location.
 */
export function resolveMailPolicy(layers: readonly LoadedLayer[], clauses: Readonly<Record<string, unknown>>, problems: PolicyProblem[]): ResolvedMailPolicy | null {
  if (!layers.some((layer) => layer.data.mail !== undefined)) return null;
  const knownClauses = Object.keys(clauses).length > 0;
  const checkClauses = (list: readonly string[] | undefined, layer: LoadedLayer, path: (string | number)[]) => {
    if (!knownClauses || !list) return;
    list.forEach((name, i) => {
      if (!(name in clauses)) problems.push({ code: 'HR_POLICY_REFERENCE', message: `unknown clause \`${name}\` (add it under \`clauses\`)`, where: layer.locate([...path, i]) });
    });
  };

  const policy: ResolvedMailPolicy = {
    internalDomains: [],
    secureRoute: null,
    webmailDomains: [],
    recipientLimit: null,
    personalData: { warnAt: DEFAULT_WARN_AT, rejectAt: DEFAULT_REJECT_AT },
    phishing: { quarantineAt: DEFAULT_QUARANTINE_AT },
    markings: [],
    wordLists: { offensive: {}, chain: {} },
    signals: {},
    rules: Object.fromEntries(
      MAIL_RULE_IDS.map((id): [MailRuleId, ResolvedMailRule] => [id, { id, action: MAIL_RULE_DEFAULTS[id], clauses: [], advice: null, lock: false, layer: null }]),
    ) as Record<MailRuleId, ResolvedMailRule>,
    outOfOffice: null,
    calendar: { clauses: [], exceptionClauses: [] },
  };

  let thresholdsAt: SourceLocation | null = null;
  for (const layer of layers) {
    const mail = layer.data.mail;
    if (!mail) continue;
    const at = (...path: (string | number)[]) => layer.locate(['mail', ...path]);
    union(policy.internalDomains, mail.internalDomains);
    union(policy.webmailDomains, mail.webmailDomains);
    union(policy.markings, mail.markings);
    if (mail.secureRoute) {
      const domains = [...(policy.secureRoute?.domains ?? [])];
      union(domains, mail.secureRoute.domains);
      policy.secureRoute = { name: mail.secureRoute.name, domains, address: mail.secureRoute.address ?? policy.secureRoute?.address ?? null };
    }
    if (mail.recipientLimit !== undefined) policy.recipientLimit = mail.recipientLimit;
    if (mail.personalData?.warnAt !== undefined) policy.personalData.warnAt = mail.personalData.warnAt;
    if (mail.personalData?.rejectAt !== undefined) policy.personalData.rejectAt = mail.personalData.rejectAt;
    if (mail.phishing?.quarantineAt !== undefined) policy.phishing.quarantineAt = mail.phishing.quarantineAt;
    for (const kind of ['offensive', 'chain'] as const) {
      for (const [lang, phrases] of Object.entries(mail.wordLists?.[kind] ?? {})) {
        const key = lang.toLowerCase();
        const list = policy.wordLists[kind][key] ?? [];
        union(list, phrases);
        policy.wordLists[kind][key] = list;
      }
    }
    for (const [name, override] of Object.entries(mail.signals)) {
      const previous = policy.signals[name];
      policy.signals[name] = { ...previous, ...override, where: at('signals', name) };
      if (override.clause !== undefined && knownClauses && !(override.clause in clauses)) {
        problems.push({ code: 'HR_POLICY_REFERENCE', message: `unknown clause \`${override.clause}\` (add it under \`clauses\`)`, where: at('signals', name, 'clause') });
      }
    }
    for (const id of MAIL_RULE_IDS) {
      const rule = mail.rules[id];
      if (!rule) continue;
      const current = policy.rules[id];
      if (current.lock) {
        problems.push({
          code: 'HR_POLICY_LOCKED',
          message: `mail rule \`${id}\` is locked by the layer \`${current.layer}\` and cannot be changed`,
          where: at('rules', id),
        });
        continue;
      }
      checkClauses(rule.clauses, layer, ['mail', 'rules', id, 'clauses']);
      policy.rules[id] = {
        id,
        action: rule.action ?? current.action,
        clauses: rule.clauses ?? current.clauses,
        advice: rule.advice ?? current.advice,
        lock: rule.lock ?? false,
        layer: layer.data.id,
      };
    }
    if (mail.outOfOffice) {
      checkClauses(mail.outOfOffice.clauses, layer, ['mail', 'outOfOffice', 'clauses']);
      policy.outOfOffice = { statement: mail.outOfOffice.statement, address: mail.outOfOffice.address.toLowerCase(), clauses: mail.outOfOffice.clauses };
      if (!mail.outOfOffice.statement.toLowerCase().includes(policy.outOfOffice.address)) {
        problems.push({
          code: 'HR_POLICY_SCHEMA',
          message: `the out-of-office statement does not contain its address \`${mail.outOfOffice.address}\``,
          where: at('outOfOffice', 'statement'),
        });
      }
    }
    if (mail.calendar) {
      checkClauses(mail.calendar.clauses, layer, ['mail', 'calendar', 'clauses']);
      checkClauses(mail.calendar.exceptionClauses, layer, ['mail', 'calendar', 'exceptionClauses']);
      policy.calendar = { clauses: mail.calendar.clauses, exceptionClauses: mail.calendar.exceptionClauses };
    }
    if (mail.personalData) thresholdsAt = at('personalData');
  }
  if (thresholdsAt && policy.personalData.warnAt > policy.personalData.rejectAt) {
    problems.push({
      code: 'HR_POLICY_SCHEMA',
      message: `personalData.warnAt ${policy.personalData.warnAt} is above rejectAt ${policy.personalData.rejectAt}`,
      where: thresholdsAt,
    });
  }
  return policy;
}
