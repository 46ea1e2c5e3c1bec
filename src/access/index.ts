// Who may do what in the dashboard and the API: the action list, and the role × action matrix
// the policy's `access` section grants.
export { ACTIONS, ACTION_NAMES, type Action } from './actions.ts';
export { AccessMatrix, ALWAYS_GRANTED } from './access-matrix.ts';
