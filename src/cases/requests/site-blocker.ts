// Blocking a reported site (8.3): the site is added to the school layer's block rule named by
// `workflows.requests.siteReport.blockRule` (default `reported-sites`) through the same edit,
// lint and atomic write the policy page uses, audited like a policy edit, then reloaded so every
// filter on this node blocks it at once. A school file without the rule gets it added.
import type { AuditLog } from '../../db/index.ts';
import { editPolicyFile, PolicyEditError, type PolicyFileEditResult } from '../../policy-edit/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { SiteBlocker } from './case-reports.ts';

export interface SiteBlockerOptions {
  /** the school layer's file (the one the dashboard edits) */
  schoolFile(): string;
  policy(): ResolvedPolicy;
  audit: AuditLog;
  /** load the edited policy into the running engine */
  reload(): { ok: boolean; problems: string[]; revision: string };
}

export const DEFAULT_BLOCK_RULE = 'reported-sites';

export function schoolSiteBlocker(options: SiteBlockerOptions): SiteBlocker {
  return {
    async block(host, actor, reason) {
      const policy = options.policy();
      const section = policy.workflows.requests?.siteReport;
      const rule = section?.blockRule ?? DEFAULT_BLOCK_RULE;
      const file = options.schoolFile();
      let result: PolicyFileEditResult;
      let action = 'policy.rule.change';
      try {
        result = await editPolicyFile(file, { kind: 'change', rule, sites: { add: [host] } });
      } catch (error) {
        if (!(error instanceof PolicyEditError) || error.code !== 'HR_POLICY_EDIT_UNKNOWN_RULE') throw error;
        action = 'policy.rule.add';
        const clauses = (section?.clauses ?? []).filter((clause) => policy.clauses[clause] !== undefined);
        result = await editPolicyFile(file, {
          kind: 'add',
          rule: {
            id: rule,
            ...(clauses.length > 0 ? { clauses } : {}),
            what: { sites: [host] },
            action: 'block',
            reason: 'This site was reported as inappropriate and the school has blocked it.',
          },
        });
      }
      // already on the list: nothing was written, nothing to reload
      if (!result.changed) return { changed: false, rule, revision: policy.revision, reload: { ok: true, problems: [] } };
      // the file is written: the audit record comes before anything else can fail
      await options.audit.append({ actor, action, subject: `policy-rule:${rule}`, before: result.before, after: result.after, reason });
      const reload = options.reload();
      return { changed: true, rule, revision: reload.revision, reload: { ok: reload.ok, problems: reload.problems } };
    },
  };
}
