// What in a decision event raises an alert, compiled once per policy so the check on every event
// costs a few Set lookups (and the keyword patterns only when the event carries a search term):
// - an attempt (a decision among `alerts.actions`, block and warn by default) whose rule is in
//   `alerts.rules` → a `rule` alert; otherwise whose categories meet `alerts.categories` → a
//   `category` alert for the first such category (events carry composite categories expanded);
// - a search term matching a keyword list → a `keyword` alert per list matched, whatever the
//   decision: a search the filter allowed is still a safeguarding signal.
import type { DecisionEvent } from '../../engine/index.ts';
import { parseDuration, type AlertsSection } from '../../policy/index.ts';
import type { AlertHit } from './alert-store.ts';
import { KeywordMatcher } from './keyword-matcher.ts';

export interface CompiledAlerts {
  section: AlertsSection;
  actions: ReadonlySet<string>;
  categories: ReadonlySet<string>;
  rules: ReadonlySet<string>;
  keywords: KeywordMatcher | null;
  windowMs: number;
}

export function compileAlerts(section: AlertsSection): CompiledAlerts {
  const matcher = new KeywordMatcher(Object.entries(section.keywords).map(([id, list]) => ({ id, title: list.title, terms: list.terms })));
  return {
    section,
    actions: new Set(section.actions ?? ['block', 'warn']),
    categories: new Set(section.categories),
    rules: new Set(section.rules),
    keywords: matcher.empty ? null : matcher,
    windowMs: parseDuration(section.dedupeWindow),
  };
}

/** The alerts one event raises; usually none. */
export function alertTriggers(compiled: CompiledAlerts, event: DecisionEvent): AlertHit[] {
  let hits: AlertHit[] | null = null;
  if (compiled.actions.has(event.action)) {
    if (compiled.rules.has(event.rule)) hits = [{ kind: 'rule', subject: event.rule, event }];
    else {
      for (const category of event.categories) {
        if (compiled.categories.has(category)) {
          hits = [{ kind: 'category', subject: category, event }];
          break;
        }
      }
    }
  }
  if (event.searchTerm !== null && compiled.keywords !== null) {
    for (const match of compiled.keywords.match(event.searchTerm)) (hits ??= []).push({ kind: 'keyword', subject: match.list, event, match });
  }
  return hits ?? [];
}
