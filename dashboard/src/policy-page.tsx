// The policy as people wrote it and as Hedgerow enforces it: each clause of the written policy
// beside the rules that carry it out; the simulator; and site-list edits for the school's rules.
import { useMemo, useState } from 'react';
import type { PolicyRule, PolicyView } from './api-types.ts';
import { ActionBadge } from './action-badge.tsx';
import { TextField } from './controls.tsx';
import type { Route } from './hash-route.ts';
import { invalidatePolicyNames, namesOf, type PolicyNames } from './policy-names.ts';
import { PolicySimulator } from './policy-simulator.tsx';
import { RuleEditor, type EditAnswer } from './rule-editor.tsx';
import { compareClauseIds, describeRule } from './rule-text.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { useApi } from './use-api.ts';

interface ClauseGroup {
  id: string;
  text: string;
  layer: string;
  rules: PolicyRule[];
}

/** Each rule under its first clause; clauses without rules are left out (they are workflows). */
export function groupByClause(policy: PolicyView): ClauseGroup[] {
  const clauses = new Map(policy.clauses.map((c) => [c.id, c]));
  const groups = new Map<string, ClauseGroup>();
  for (const rule of policy.rules) {
    const id = rule.clauses.find((c) => clauses.has(c)) ?? rule.clauses[0] ?? '';
    let group = groups.get(id);
    if (!group) {
      const clause = clauses.get(id);
      group = { id, text: clause?.text ?? (id ? '' : 'Rules that cite no clause'), layer: clause?.layer ?? rule.layer, rules: [] };
      groups.set(id, group);
    }
    group.rules.push(rule);
  }
  return [...groups.values()].sort((a, b) => (a.id === '' ? 1 : b.id === '' ? -1 : compareClauseIds(a.id, b.id)));
}

function layerName(policy: PolicyView, id: string): string {
  return policy.layers.find((l) => l.id === id || l.layer === id || l.kind === id)?.name ?? id;
}

/**
 * Site lists of the nearest (school) layer are edited from the dashboard; council and legal rules
 * are not. Only rules that already list sites: adding sites to a category rule would narrow it to
 * those sites (a rule's conditions all have to hold), which is a different rule.
 */
function editable(policy: PolicyView, rule: PolicyRule): boolean {
  if (rule.what.sites === undefined) return false;
  if (rule.editable !== undefined) return rule.editable;
  const last = policy.layers[policy.layers.length - 1];
  if (!last || rule.locked || rule.legal) return false;
  return rule.layer === last.id || rule.layer === last.kind || rule.layer === last.layer;
}

function matches(group: ClauseGroup, rule: PolicyRule, query: string, names: PolicyNames): boolean {
  if (!query) return true;
  const text = [group.id, group.text, rule.id, rule.title ?? '', rule.reason, describeRule(rule, names), ...(rule.what.sites ?? [])].join(' ').toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

export function PolicyPage(_props: { route: Route }) {
  const session = useSession();
  const { data: policy, error, loading, reload } = useApi<PolicyView>(session.can('policy.read') ? '/api/policy' : null);
  const names = useMemo(() => namesOf(policy), [policy]);
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ rule: string; answer: EditAnswer } | null>(null);
  const groups = useMemo(() => (policy ? groupByClause(policy) : []), [policy]);

  return (
    <>
      <h1 tabIndex={-1}>Policy</h1>
      {policy ? (
        <p className="lead">
          {policy.layers.map((l) => l.name).join(' → ')} <span className="muted">· revision {policy.revision}</span>
        </p>
      ) : null}
      {session.can('policy.simulate') ? <PolicySimulator names={names} /> : null}
      <ErrorMessage error={error} />
      {loading && !policy ? <Loading what="the policy" /> : null}
      {policy ? (
        <section aria-labelledby="rules-heading">
          <div className="results-bar">
            <h2 id="rules-heading">Rules by clause</h2>
            <TextField label="Find a rule, clause or site" type="search" value={query} onValue={setQuery} className="field-inline" />
          </div>
          {saved && saved.answer.reload?.ok === false ? (
            <div className="message message-error" role="alert">
              <p className="message-title">
                The sites of rule <code>{saved.rule}</code> were written, but the filters could not load the policy and keep the last good one
              </p>
              <ul>
                {saved.answer.reload.problems.map((p, i) => (
                  <li key={i}>{p}</li>
                ))}
              </ul>
            </div>
          ) : saved ? (
            <Success>
              The sites of rule <code>{saved.rule}</code> were changed
              {saved.answer.revision ? (
                <>
                  {' '}
                  and the filters now use policy revision <code>{saved.answer.revision}</code>
                </>
              ) : null}
              .
            </Success>
          ) : null}
          <div className="clauses">
            {groups.map((group) => {
              const rules = group.rules.filter((rule) => matches(group, rule, query, names));
              if (rules.length === 0) return null;
              return (
                <section key={group.id || 'none'} className="clause" aria-labelledby={`clause-${group.id || 'none'}`}>
                  <div className="clause-text">
                    <h3 id={`clause-${group.id || 'none'}`}>{group.id ? `Clause ${group.id}` : 'No clause'}</h3>
                    {group.text ? <p>{group.text}</p> : null}
                    <p className="muted">{layerName(policy, group.layer)}</p>
                  </div>
                  <ul className="rules">
                    {rules.map((rule) => (
                      <li key={rule.id} className="rule">
                        <div className="rule-head">
                          <ActionBadge action={rule.action} />
                          <h4>
                            <code>{rule.id}</code>
                          </h4>
                          {rule.legal ? <span className="tag">Legal list</span> : rule.locked ? <span className="tag">Locked by {layerName(policy, rule.layer)}</span> : null}
                          {rule.circumvention ? <span className="tag">Circumvention</span> : null}
                        </div>
                        <p className="rule-sentence">{describeRule(rule, names)}</p>
                        <p className="rule-reason">
                          <span className="visually-hidden">What the person is told: </span>“{rule.reason}”
                        </p>
                        {rule.clauses.length > 1 ? <p className="muted">Also clause {rule.clauses.filter((c) => c !== group.id).join(', ')}</p> : null}
                        {rule.what.sites?.length ? (
                          <details className="sites">
                            <summary>
                              {rule.what.sites.length} {rule.what.sites.length === 1 ? 'site' : 'sites'}
                            </summary>
                            <ul className="site-list">
                              {rule.what.sites.map((site) => (
                                <li key={site}>
                                  <code>{site}</code>
                                </li>
                              ))}
                            </ul>
                          </details>
                        ) : null}
                        {session.can('policy.edit') && editable(policy, rule) ? (
                          editing === rule.id ? (
                            <RuleEditor
                              rule={rule}
                              onCancel={() => setEditing(null)}
                              onSaved={(answer) => {
                                setEditing(null);
                                setSaved({ rule: rule.id, answer });
                                invalidatePolicyNames();
                                reload();
                              }}
                            />
                          ) : (
                            <button
                              type="button"
                              className="button-small"
                              onClick={() => {
                                setSaved(null);
                                setEditing(rule.id);
                              }}
                            >
                              Edit sites<span className="visually-hidden"> of {rule.id}</span>
                            </button>
                          )
                        ) : null}
                      </li>
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
        </section>
      ) : null}
    </>
  );
}
