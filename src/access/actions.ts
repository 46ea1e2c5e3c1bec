// Every action the API can perform, by name. The policy's `access` section grants these to
// roles; each API route names exactly one action (or `public`), so the matrix of role × action
// is the whole of who may do what.
export const ACTIONS = {
  'session.self': 'see and end your own session, change your own password',
  'overview.read': "see today's totals, blocks by category, alerts, open requests and enforcement health",
  'activity.read.own': 'see your own decisions and requests',
  'activity.read.pupils': 'search the decisions of pupils (teachers: only their own classes)',
  'activity.read.staff': 'search the decisions of a named member of staff, with a recorded lawful purpose',
  'activity.export': 'export a search of the decision log as CSV',
  'policy.read': 'read the policy as rules with their clauses',
  'policy.simulate': 'ask the engine what a person or group would see for a URL at a time',
  'policy.edit': 'change site lists and rules in the school layer',
  'overrides.read': 'see overrides (grants) in force and past',
  'overrides.grant.own-classes': 'grant a site or category to your own classes for a time',
  'overrides.grant.any': 'grant a site or category to any group, role or person for a time',
  'overrides.revoke': 'revoke an override',
  'people.read': 'see people, groups and devices',
  'people.import': 'import the roster, sync the directory, edit devices and networks',
  'settings.read': 'see enforcement points, retention and alert recipients',
  'settings.edit': 'change settings',
  'audit.read': 'read the audit log and verify its chain',
  'reports.aggregate': 'see aggregate reports (counts by group and category; never a named child)',
  'accounts.manage': 'add, disable and change the role of dashboard accounts',
  'mail.check': 'check an out-of-office text or a calendar subject against the mail policy',
  'mail.exception.approve': 'approve an exception for a calendar subject that names a person',
  'quarantine.read': "see stopped mail's envelope, signals and reason (never its content)",
  'quarantine.challenge': 'challenge the stopping of mail you sent or were sent',
  'quarantine.read-content': 'read the content of stopped mail once it has been challenged (audited)',
  'quarantine.release': 'release (reinject) or delete stopped mail',
} as const;

export type Action = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as Action[];
