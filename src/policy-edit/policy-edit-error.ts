// A refused policy edit that names every problem: input fields, or the linter's lines when the
// edited policy would not load. The file is never written when one is thrown.
import { HedgerowError, type ErrorCode } from '../errors/index.ts';

export interface EditProblem {
  /** the request field (`sites.add[1]`) or, for lint lines, the policy field path */
  field: string;
  message: string;
}

export class PolicyEditError extends HedgerowError {
  readonly problems: readonly EditProblem[];

  constructor(code: ErrorCode, message: string, problems: readonly EditProblem[] = []) {
    super(code, message, problems[0] ? { where: { field: problems[0].field } } : {});
    this.name = 'PolicyEditError';
    this.problems = problems;
  }
}
