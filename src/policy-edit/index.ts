// Editing the school layer of the policy from the dashboard: sites of a rule, a rule's action,
// adding and deleting school rules. Comments and order are kept; the linter sees every edit
// before the file is written.
export { editPolicyFile, lintLine, type PolicyFileEditResult } from './edit-policy-file.ts';
export { applyPolicyEdit, ruleSite, type NewRule, type ParentRule, type PolicyEdit, type TextEditResult } from './rule-edits.ts';
export { PolicyEditError, type EditProblem } from './policy-edit-error.ts';
