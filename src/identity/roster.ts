// Reading a roster CSV (name, username, role, year group, date of birth; optionally groups, email
// and line manager) into people, checking every row against the policy. Pure: nothing is stored here; the people store imports the rows
// in one transaction only when there is no problem at all.
import { parse } from 'csv-parse/sync';
import { HedgerowError } from '../errors/index.ts';
import { localIsoDate } from './age.ts';
import { normaliseUsername, resolveGroupName, USERNAME_RULE } from './names.ts';

export const MAX_ROSTER_BYTES = 10 * 1024 * 1024;
export const MAX_ROSTER_ROWS = 50_000;

export interface RosterPolicy {
  roles: readonly string[];
  groups: readonly string[];
  /** roles (pupils) whose rows must carry a year group and a date of birth */
  childRoles?: readonly string[];
}

export interface RosterOptions {
  /** the file name shown with problems */
  file?: string;
  policy: RosterPolicy;
  /** dates of birth may not be after today in this zone (default UTC) */
  timeZone?: string;
  /** epoch ms of "today" (default: the clock) */
  now?: number;
  maxBytes?: number;
  maxRows?: number;
}

export interface RosterProblem {
  /** 1-based line of the file where the row starts */
  line: number;
  /** the column (`username`, `date of birth`), or `header`/`csv` for the file's shape */
  field: string;
  message: string;
}

export interface RosterPerson {
  line: number;
  username: string;
  displayName: string;
  role: string;
  groups: string[];
  dateOfBirth: string | null;
  /** present only when the file has an `email` column; null for an empty cell */
  email?: string | null;
  /** present only when the file has a `line manager` column; null for an empty cell */
  lineManager?: string | null;
}

type Column = 'name' | 'username' | 'role' | 'yearGroup' | 'dateOfBirth' | 'groups' | 'email' | 'lineManager';

const COLUMN_NAMES: Record<string, Column> = {
  name: 'name',
  'display-name': 'name',
  'full-name': 'name',
  username: 'username',
  'user-name': 'username',
  login: 'username',
  role: 'role',
  'year-group': 'yearGroup',
  year: 'yearGroup',
  'date-of-birth': 'dateOfBirth',
  dob: 'dateOfBirth',
  birthdate: 'dateOfBirth',
  groups: 'groups',
  email: 'email',
  'e-mail': 'email',
  'email-address': 'email',
  'line-manager': 'lineManager',
  manager: 'lineManager',
};

/** the field names used in problems, as a school would write them */
const FIELD: Record<Column, string> = {
  name: 'name',
  username: 'username',
  role: 'role',
  yearGroup: 'year group',
  dateOfBirth: 'date of birth',
  groups: 'groups',
  email: 'email',
  lineManager: 'line manager',
};

// A plain mailbox address (no display name, no comments): what a notification is sent to.
const EMAIL = /^[^\s@<>()[\],;:"\\]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The stored form of a mail address (domain lower-cased), or null when it is not one. */
export function normaliseEmail(text: string): string | null {
  const trimmed = text.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || trimmed.length > 254) return null;
  const address = `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
  return EMAIL.test(address) && at <= 64 ? address : null;
}

/**
 * A date of birth as `YYYY-MM-DD` (ISO) or `DD/MM/YYYY` (UK) to ISO; null when it is neither or
 * not a real calendar date (31/02/2018).
 */
export function parseDateOfBirth(text: string): string | null {
  const t = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  let y: number, m: number, d: number;
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (uk) [y, m, d] = [Number(uk[3]), Number(uk[2]), Number(uk[1])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function startLine(info: { lines: number }, raw: string): number {
  // csv-parse reports the line a record ends on; a quoted field may span several lines
  const body = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
  return info.lines - (body.match(/\n/g)?.length ?? 0);
}

/** Throws HR_IDENTITY_ROSTER when the file is too large to consider at all. */
export function parseRoster(csvText: string, options: RosterOptions): { people: RosterPerson[]; problems: RosterProblem[] } {
  const maxBytes = options.maxBytes ?? MAX_ROSTER_BYTES;
  const maxRows = options.maxRows ?? MAX_ROSTER_ROWS;
  const file = options.file ?? 'roster';
  const size = Buffer.byteLength(csvText, 'utf8');
  if (size > maxBytes) {
    throw new HedgerowError('HR_IDENTITY_ROSTER', `roster \`${file}\` is ${size} bytes, more than the limit of ${maxBytes}`, { where: { file } });
  }
  const problems: RosterProblem[] = [];
  let records: Array<{ record: string[]; info: { lines: number }; raw: string }>;
  try {
    // NOTE: line endings made one kind first: csv-parse miscounts lines in a file that mixes
    // CR LF, LF and lone CRs (old Mac files), and every problem is reported by its line
    records = parse(csvText.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // one record past the limit is enough to say the file is too long
      to: maxRows + 2,
    }) as unknown as typeof records;
  } catch (error) {
    const e = error as Error & { lines?: number };
    return { people: [], problems: [{ line: e.lines ?? 1, field: 'csv', message: `not readable as CSV: ${e.message.replace(/\.$/, '')}` }] };
  }
  if (records.length > maxRows + 1) {
    throw new HedgerowError('HR_IDENTITY_ROSTER', `roster \`${file}\` has more than ${maxRows} rows`, { where: { file } });
  }
  const header = records.shift();
  if (!header) return { people: [], problems: [{ line: 1, field: 'header', message: 'the file is empty: expected a header row `name,username,role,year group,date of birth`' }] };

  const headerLine = startLine(header.info, header.raw);
  const index = new Map<Column, number>();
  header.record.forEach((cell, i) => {
    const key = cell.trim().toLowerCase().replace(/[\s_]+/g, '-');
    const column = COLUMN_NAMES[key];
    if (!column) {
      problems.push({ line: headerLine, field: 'header', message: `unknown column \`${cell.trim()}\` (expected name, username, role, year group, date of birth, groups)` });
    } else if (index.has(column)) {
      problems.push({ line: headerLine, field: 'header', message: `column \`${cell.trim()}\` appears twice` });
    } else {
      index.set(column, i);
    }
  });
  for (const column of ['name', 'username', 'role'] as const) {
    if (!index.has(column)) problems.push({ line: headerLine, field: 'header', message: `missing column \`${FIELD[column]}\`` });
  }
  if (problems.length > 0) return { people: [], problems };

  const roles = new Set(options.policy.roles);
  const childRoles = new Set(options.policy.childRoles ?? []);
  const today = localIsoDate(options.now ?? Date.now(), options.timeZone ?? 'UTC');
  const seen = new Map<string, number>();
  const people: RosterPerson[] = [];

  for (const { record, info, raw } of records) {
    const line = startLine(info, raw);
    const rowProblems: RosterProblem[] = [];
    const report = (column: Column, message: string): void => {
      rowProblems.push({ line, field: FIELD[column], message });
    };
    if (record.length !== header.record.length) {
      rowProblems.push({ line, field: 'csv', message: `${record.length} columns where the header has ${header.record.length}` });
      problems.push(...rowProblems);
      continue;
    }
    const cell = (column: Column): string => {
      const i = index.get(column);
      return i === undefined ? '' : record[i]!.trim();
    };

    const name = cell('name');
    if (name === '') report('name', 'is required');
    else if (name.length > 200 || /[\x00-\x1f\x7f]/.test(name)) report('name', 'must be at most 200 characters without control characters');

    const rawUsername = cell('username');
    const username = normaliseUsername(rawUsername);
    if (rawUsername === '') report('username', 'is required');
    else if (!username) report('username', `\`${rawUsername}\` ${USERNAME_RULE}`);
    else if (seen.has(username)) report('username', `\`${username}\` is also on line ${seen.get(username)}`);
    else seen.set(username, line);

    const rawRole = cell('role');
    const role = rawRole.toLowerCase().replace(/\s+/g, '-');
    if (rawRole === '') report('role', 'is required');
    else if (!roles.has(role)) report('role', `unknown role \`${rawRole}\` (the policy defines ${[...roles].join(', ')})`);

    const groups: string[] = [];
    const rawYear = cell('yearGroup');
    if (rawYear !== '') {
      const group = resolveGroupName(rawYear, options.policy.groups);
      if (group) groups.push(group);
      else report('yearGroup', `unknown year group \`${rawYear}\` (write it like \`Year 4\`, \`year-4\` or \`4\`)`);
    } else if (childRoles.has(role)) {
      report('yearGroup', `is required for role \`${role}\``);
    }
    for (const part of cell('groups').split(/[;|]/).map((g) => g.trim()).filter((g) => g !== '')) {
      const group = resolveGroupName(part, options.policy.groups);
      if (!group) report('groups', `unknown group \`${part}\``);
      else if (!groups.includes(group)) groups.push(group);
    }

    const rawDob = cell('dateOfBirth');
    let dateOfBirth: string | null = null;
    if (rawDob !== '') {
      dateOfBirth = parseDateOfBirth(rawDob);
      if (!dateOfBirth) report('dateOfBirth', `\`${rawDob}\` is not a date like 2017-03-05 or 05/03/2017`);
      else if (dateOfBirth > today) report('dateOfBirth', `\`${rawDob}\` is in the future`);
      else if (dateOfBirth < '1900-01-01') report('dateOfBirth', `\`${rawDob}\` is before 1900`);
    } else if (childRoles.has(role)) {
      report('dateOfBirth', `is required for role \`${role}\``);
    }

    // Contact details are optional columns: absent from the file, the stored values stay; present
    // but empty, they are cleared.
    let email: string | null | undefined;
    if (index.has('email')) {
      const rawEmail = cell('email');
      email = rawEmail === '' ? null : normaliseEmail(rawEmail);
      if (rawEmail !== '' && email === null) report('email', `\`${rawEmail}\` is not a mail address like name@school.example`);
    }
    let lineManager: string | null | undefined;
    if (index.has('lineManager')) {
      const rawManager = cell('lineManager');
      lineManager = rawManager === '' ? null : normaliseUsername(rawManager);
      if (rawManager !== '' && lineManager === null) report('lineManager', `\`${rawManager}\` ${USERNAME_RULE}`);
      else if (lineManager !== null && lineManager === username) report('lineManager', 'a person cannot be their own line manager');
    }

    if (rowProblems.length > 0) problems.push(...rowProblems);
    else
      people.push({
        line,
        username: username!,
        displayName: name,
        role,
        groups,
        dateOfBirth,
        ...(email !== undefined ? { email } : {}),
        ...(lineManager !== undefined ? { lineManager } : {}),
      });
  }
  return { people, problems };
}
