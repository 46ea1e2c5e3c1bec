// Changing a rule's sites from the dashboard: add and remove, with a required reason. The API
// lints the edited policy before it writes it; a refusal shows the linter's lines.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api-client.ts';
import type { PolicyRule } from './api-types.ts';
import { problemFor, TextArea } from './controls.tsx';
import { splitList } from './format.ts';
import { ErrorMessage } from './status.tsx';

/** What the API answers to an accepted edit: the file is written; `reload` says whether the filters took it. */
export interface EditAnswer {
  changed?: boolean;
  revision?: string;
  reload?: { ok: boolean; problems: string[] };
}

export function RuleEditor({ rule, onSaved, onCancel }: { rule: PolicyRule; onSaved(answer: EditAnswer): void; onCancel(): void }) {
  const sites = rule.what.sites ?? [];
  const [remove, setRemove] = useState<ReadonlySet<string>>(new Set());
  const [add, setAdd] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [empty, setEmpty] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const added = splitList(add);
    if (added.length === 0 && remove.size === 0) {
      setEmpty(true);
      return;
    }
    setEmpty(false);
    setBusy(true);
    setError(null);
    try {
      const body = { sites: { ...(added.length > 0 ? { add: added } : {}), ...(remove.size > 0 ? { remove: [...remove] } : {}) }, reason: reason.trim() };
      const answer = await api.patch<EditAnswer | undefined>(`/api/policy/rules/${encodeURIComponent(rule.id)}`, body);
      onSaved(answer ?? {});
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="rule-editor" onSubmit={(e) => void submit(e)} aria-label={`Edit the sites of rule ${rule.id}`}>
      {sites.length > 0 ? (
        <fieldset>
          <legend>Remove sites</legend>
          <div className="site-checks">
            {sites.map((site) => (
              <div className="choice" key={site}>
                <input
                  type="checkbox"
                  id={`remove-${rule.id}-${site}`}
                  checked={remove.has(site)}
                  onChange={(e) => {
                    const next = new Set(remove);
                    if (e.target.checked) next.add(site);
                    else next.delete(site);
                    setRemove(next);
                  }}
                />
                <label htmlFor={`remove-${rule.id}-${site}`}>{site}</label>
              </div>
            ))}
          </div>
        </fieldset>
      ) : null}
      <TextArea
        label="Sites to add"
        hint="One per line; a site includes its subdomains."
        value={add}
        onValue={setAdd}
        rows={3}
        spellCheck={false}
        autoCapitalize="none"
        problem={empty ? 'Add or remove at least one site' : problemFor(error?.problems, 'sites')}
      />
      <TextArea
        label="Reason for the change"
        hint="Recorded in the audit log with the change."
        value={reason}
        onValue={setReason}
        rows={2}
        required
        problem={problemFor(error?.problems, 'reason')}
      />
      <ErrorMessage error={error} />
      <div className="button-row">
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Checking and saving…' : 'Save the change'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
