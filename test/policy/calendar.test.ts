import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileCalendar, compileCalendarProblems, type CompiledCalendar } from '../../src/policy/calendar.ts';
import type { Calendar } from '../../src/policy/schema.ts';
import { HedgerowError } from '../../src/errors/index.ts';

// The reference school year: three terms with half terms, the school day's lessons and breaks.
function referenceCalendar(overrides: Partial<Calendar> = {}): Calendar {
  return {
    timeZone: 'Europe/London',
    schoolDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    terms: [
      { name: 'Autumn 2026', start: '2026-09-02', end: '2026-12-18', halfTerms: [{ start: '2026-10-26', end: '2026-10-30' }] },
      { name: 'Spring 2027', start: '2027-01-04', end: '2027-03-26', halfTerms: [{ start: '2027-02-15', end: '2027-02-19' }] },
      { name: 'Summer 2027', start: '2027-04-12', end: '2027-07-21', halfTerms: [{ start: '2027-05-31', end: '2027-06-04' }] },
    ],
    closures: [],
    windows: {
      lessons: { on: 'school-days', times: ['08:50-10:30', '10:45-12:00', '13:00-15:15'] },
      'morning-break': { on: 'school-days', times: ['10:30-10:45'] },
      lunch: { on: 'school-days', times: ['12:00-13:00'] },
      'work-time': { on: 'school-days', times: ['08:00-10:30', '10:45-12:00', '13:00-17:00'] },
      'non-work-time': { complementOf: 'work-time' },
    },
    ...overrides,
  };
}

const london = compileCalendar(referenceCalendar());

function open(cal: CompiledCalendar, iso: string): string[] {
  const mask = cal.windowsAt(Date.parse(iso));
  return cal.windowNames.filter((name) => (mask & cal.windowMask(name)) !== 0);
}

// A straightforward reference: Intl for the wall clock, string comparisons for dates, each window
// evaluated from its definition. Written independently of the compiled tables.
function referenceWindows(calendar: Calendar, epochMs: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: calendar.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
      .formatToParts(epochMs)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const weekday = String(parts.weekday).toLowerCase().slice(0, 3);
  const term = calendar.terms.find((t) => t.start <= date && date <= t.end);
  const halfTerm = term?.halfTerms.some((h) => h.start <= date && date <= h.end) ?? false;
  const closed = calendar.closures.some((c) => c.date <= date && date <= (c.end ?? c.date));
  const schoolDay = calendar.schoolDays.includes(weekday as 'mon') && term !== undefined && !halfTerm && !closed;
  const weekend = weekday === 'sat' || weekday === 'sun';
  const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const isOpen = (name: string): boolean => {
    const def = calendar.windows[name]!;
    if ('complementOf' in def) return !isOpen(def.complementOf);
    const day = { 'school-days': schoolDay, 'every-day': true, weekdays: !weekend, weekends: weekend, 'non-school-days': !schoolDay }[def.on];
    return day && def.times.some((range) => toMinutes(range.slice(0, 5)) <= minute && minute < toMinutes(range.slice(6)));
  };
  return Object.keys(calendar.windows).reduce((mask, name, i) => (isOpen(name) ? mask | (1 << i) : mask), 0);
}

test('numbers the windows in the order the calendar defines them', () => {
  assert.deepEqual(london.windowNames, ['lessons', 'morning-break', 'lunch', 'work-time', 'non-work-time']);
  assert.equal(london.windowMask('lessons'), 1);
  assert.equal(london.windowMask('non-work-time'), 16);
  assert.equal(london.windowMask('playtime'), 0);
  assert.equal(london.timeZone, 'Europe/London');
});

test('a lesson is open at 10:15 on a school day in winter time (GMT)', () => {
  assert.deepEqual(open(london, '2026-11-24T10:15:00Z'), ['lessons', 'work-time']);
});

test('a lesson is open at 10:15 on a school day in summer time (BST)', () => {
  assert.deepEqual(open(london, '2026-10-19T09:15:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2027-05-11T09:15:00Z'), ['lessons', 'work-time']);
  // 10:15Z is 11:15 BST: still a lesson, but the local clock is what counts
  assert.equal(london.localTime(Date.parse('2027-05-11T10:15:00Z')).time, '11:15');
});

test('morning break starts at 10:30 exactly and the lesson before it ends then', () => {
  assert.deepEqual(open(london, '2026-11-24T10:29:59Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2026-11-24T10:30:00Z'), ['morning-break', 'non-work-time']);
  assert.deepEqual(open(london, '2026-11-24T10:44:59Z'), ['morning-break', 'non-work-time']);
  assert.deepEqual(open(london, '2026-11-24T10:45:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2026-11-24T12:00:00Z'), ['lunch', 'non-work-time']);
  assert.deepEqual(open(london, '2026-11-24T13:00:00Z'), ['lessons', 'work-time']);
});

test('work time starts at 08:00 and ends at 17:00', () => {
  assert.deepEqual(open(london, '2026-11-24T07:59:59Z'), ['non-work-time']);
  assert.deepEqual(open(london, '2026-11-24T08:00:00Z'), ['work-time']);
  assert.deepEqual(open(london, '2026-11-24T15:15:00Z'), ['work-time']);
  assert.deepEqual(open(london, '2026-11-24T16:59:59Z'), ['work-time']);
  assert.deepEqual(open(london, '2026-11-24T17:00:00Z'), ['non-work-time']);
});

test('no school-day window is open at the weekend', () => {
  assert.deepEqual(open(london, '2026-11-28T10:15:00Z'), ['non-work-time']);
  assert.deepEqual(open(london, '2026-11-29T10:15:00Z'), ['non-work-time']);
  assert.equal(london.localTime(Date.parse('2026-11-28T10:15:00Z')).schoolDay, false);
});

test('no school-day window is open in half terms', () => {
  for (const iso of ['2026-10-27T10:15:00Z', '2027-02-16T10:15:00Z', '2027-06-01T09:15:00Z', '2027-06-04T09:15:00Z']) {
    assert.deepEqual(open(london, iso), ['non-work-time'], iso);
    const t = london.localTime(Date.parse(iso));
    assert.equal(t.halfTerm, true, iso);
    assert.notEqual(t.term, null, iso);
  }
  // the school day after a half term is a school day again
  assert.deepEqual(open(london, '2026-11-02T10:15:00Z'), ['lessons', 'work-time']);
});

test('no school-day window is open between terms', () => {
  for (const iso of ['2026-12-21T10:15:00Z', '2027-01-01T10:15:00Z', '2027-04-01T09:15:00Z', '2027-08-10T09:15:00Z']) {
    assert.deepEqual(open(london, iso), ['non-work-time'], iso);
    assert.equal(london.localTime(Date.parse(iso)).term, null, iso);
  }
  // the first and last days of a term are school days
  assert.deepEqual(open(london, '2026-09-02T09:15:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2026-12-18T10:15:00Z'), ['lessons', 'work-time']);
});

test('the clocks going back on Sunday 2026-10-25 repeat 01:00-02:00 local', () => {
  const before = london.localTime(Date.parse('2026-10-25T00:30:00Z'));
  const after = london.localTime(Date.parse('2026-10-25T01:30:00Z'));
  assert.equal(before.time, '01:30');
  assert.equal(before.offsetMinutes, 60);
  assert.equal(after.time, '01:30');
  assert.equal(after.offsetMinutes, 0);
  assert.equal(london.localTime(Date.parse('2026-10-25T00:59:59Z')).offsetMinutes, 60);
  assert.equal(london.localTime(Date.parse('2026-10-25T01:00:00Z')).offsetMinutes, 0);
  assert.deepEqual(open(london, '2026-10-25T01:30:00Z'), ['non-work-time']);
});

test('the clocks going forward on Sunday 2027-03-28 skip 01:00-02:00 local', () => {
  assert.equal(london.localTime(Date.parse('2027-03-28T00:59:59Z')).time, '00:59');
  assert.equal(london.localTime(Date.parse('2027-03-28T01:00:00Z')).time, '02:00');
  assert.equal(london.localTime(Date.parse('2027-03-28T01:00:00Z')).offsetMinutes, 60);
});

test('a wall-clock window follows the clock change: skipped in spring, doubled in autumn', () => {
  const cal = compileCalendar(referenceCalendar({ windows: { night: { on: 'every-day', times: ['01:00-02:00'] } } }));
  const openMinutes = (dayIso: string): number => {
    let count = 0;
    const start = Date.parse(dayIso) - 2 * 3_600_000;
    for (let m = 0; m < 24 * 60; m++) if (cal.windowsAt(start + m * 60_000) !== 0) count++;
    return count;
  };
  assert.equal(openMinutes('2027-03-28T00:00:00Z'), 0);
  assert.equal(openMinutes('2026-10-25T00:00:00Z'), 120);
  assert.equal(openMinutes('2026-11-01T00:00:00Z'), 60);
});

test('on the Mondays after the clock changes, 08:50 local is the right UTC instant', () => {
  // Both Mondays straight after the changes are holidays in the reference year (half term, Easter)
  const halfTerm = london.localTime(Date.parse('2026-10-26T08:50:00Z'));
  assert.equal(halfTerm.time, '08:50');
  assert.equal(halfTerm.halfTerm, true);
  assert.deepEqual(open(london, '2026-10-26T08:50:00Z'), ['non-work-time']);
  assert.equal(london.localTime(Date.parse('2027-03-29T07:50:00Z')).time, '08:50');
  assert.deepEqual(open(london, '2027-03-29T07:50:00Z'), ['non-work-time']);
  // so the school Mondays either side of each change carry the check: 07:50Z in BST, 08:50Z in GMT
  assert.deepEqual(open(london, '2026-10-19T07:49:59Z'), ['work-time']);
  assert.deepEqual(open(london, '2026-10-19T07:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2026-11-02T08:49:59Z'), ['work-time']);
  assert.deepEqual(open(london, '2026-11-02T08:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2027-03-22T08:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2027-04-12T07:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2027-04-12T07:49:59Z'), ['work-time']);
});

test('a school in New York follows its own summer-time dates', () => {
  const ny = compileCalendar(referenceCalendar({ timeZone: 'America/New_York' }));
  // EDT (UTC-4) before 2026-11-01, EST (UTC-5) after; London has already changed on 2026-10-25
  assert.deepEqual(open(ny, '2026-10-21T12:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(ny, '2026-11-02T12:50:00Z'), ['non-work-time']);
  assert.deepEqual(open(ny, '2026-11-02T13:49:59Z'), ['work-time']);
  assert.deepEqual(open(ny, '2026-11-02T13:50:00Z'), ['lessons', 'work-time']);
  // EDT from 2027-03-14, two weeks before London's change
  assert.deepEqual(open(ny, '2027-03-12T13:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(ny, '2027-03-15T12:50:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(london, '2027-03-15T12:50:00Z'), ['lunch', 'non-work-time']);
  assert.equal(ny.localTime(Date.parse('2027-03-15T12:50:00Z')).offsetMinutes, -240);
  assert.equal(ny.localTime(Date.parse('2027-03-12T12:50:00Z')).offsetMinutes, -300);
});

test('instants outside the precomputed span get the same answers as the reference', () => {
  const calendar = referenceCalendar({ windows: { ...referenceCalendar().windows, evenings: { on: 'every-day', times: ['18:00-24:00'] } } });
  const cal = compileCalendar(calendar);
  for (const iso of ['1999-07-01T18:30:00Z', '2015-01-05T09:00:00Z', '2015-07-01T17:30:00Z', '2035-07-02T17:30:00Z', '2035-12-31T23:59:00Z', '2061-06-15T17:00:00Z']) {
    const at = Date.parse(iso);
    assert.equal(cal.windowsAt(at), referenceWindows(calendar, at), iso);
  }
  assert.equal(cal.localTime(Date.parse('2035-07-02T17:30:00Z')).time, '18:30');
  assert.deepEqual(open(cal, '2035-07-02T17:30:00Z'), ['non-work-time', 'evenings']);
});

test('windowsAt equals an Intl-based reference at random instants in 2025-2028', () => {
  const calendar = referenceCalendar({
    closures: [{ date: '2027-01-04', name: 'Training day' }, { date: '2027-05-03', end: '2027-05-04', name: 'Bank holiday' }],
    windows: {
      ...referenceCalendar().windows,
      evenings: { on: 'weekdays', times: ['18:00-24:00'] },
      weekend: { on: 'weekends', times: ['00:00-24:00'] },
      holiday: { on: 'non-school-days', times: ['09:00-17:00'] },
      'not-holiday': { complementOf: 'holiday' },
    },
  });
  const cal = compileCalendar(calendar);
  const from = Date.parse('2025-01-01T00:00:00Z');
  const to = Date.parse('2029-01-01T00:00:00Z');
  fc.assert(
    fc.property(fc.integer({ min: from, max: to }), (at) => {
      assert.equal(cal.windowsAt(at), referenceWindows(calendar, at));
    }),
    { numRuns: 3000 },
  );
  // and near the clock changes, where mistakes would be
  const changes = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2027-03-28T01:00:00Z', '2027-10-31T01:00:00Z'].map(Date.parse);
  fc.assert(
    fc.property(fc.constantFrom(...changes), fc.integer({ min: -36 * 3_600_000, max: 36 * 3_600_000 }), (change, delta) => {
      assert.equal(cal.windowsAt(change + delta), referenceWindows(calendar, change + delta));
    }),
    { numRuns: 2000 },
  );
});

test('windowsAt equals the reference far outside the span, on the slow path', () => {
  const calendar = referenceCalendar({ timeZone: 'America/New_York' });
  const cal = compileCalendar(calendar);
  fc.assert(
    fc.property(fc.integer({ min: Date.parse('1980-01-01T00:00:00Z'), max: Date.parse('2070-01-01T00:00:00Z') }), (at) => {
      assert.equal(cal.windowsAt(at), referenceWindows(calendar, at));
    }),
    { numRuns: 500 },
  );
});

test('closures inside term are not school days', () => {
  const cal = compileCalendar(referenceCalendar({ closures: [{ date: '2026-11-23', end: '2026-11-24', name: 'Training days' }] }));
  assert.deepEqual(open(cal, '2026-11-24T10:15:00Z'), ['non-work-time']);
  assert.deepEqual(open(cal, '2026-11-25T10:15:00Z'), ['lessons', 'work-time']);
  assert.equal(cal.localTime(Date.parse('2026-11-23T10:15:00Z')).closure, 'Training days');
  assert.equal(cal.describe(Date.parse('2026-11-24T10:15:00Z')), 'Tuesday 2026-11-24 10:15 (closed: Training days, Autumn 2026; non-work-time)');
});

test('a school that opens on Saturdays has school-day windows on Saturdays', () => {
  const cal = compileCalendar(referenceCalendar({ schoolDays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] }));
  assert.deepEqual(open(cal, '2026-11-28T10:15:00Z'), ['lessons', 'work-time']);
  assert.deepEqual(open(cal, '2026-11-29T10:15:00Z'), ['non-work-time']);
});

test('describes an instant for explanations', () => {
  assert.equal(london.describe(Date.parse('2026-11-24T10:15:00Z')), 'Tuesday 2026-11-24 10:15 (school day, Autumn 2026; lessons, work-time)');
  assert.equal(london.describe(Date.parse('2026-10-27T09:15:00Z')), 'Tuesday 2026-10-27 09:15 (half term, Autumn 2026; non-work-time)');
  assert.equal(london.describe(Date.parse('2026-11-28T10:15:00Z')), 'Saturday 2026-11-28 10:15 (weekend, Autumn 2026; non-work-time)');
  assert.equal(london.describe(Date.parse('2027-08-10T09:15:00Z')), 'Tuesday 2027-08-10 10:15 (holiday; non-work-time)');
});

test('reports the local time of an instant', () => {
  assert.deepEqual(london.localTime(Date.parse('2026-10-19T09:15:00Z')), {
    date: '2026-10-19',
    time: '10:15',
    weekday: 'mon',
    minuteOfDay: 615,
    schoolDay: true,
    term: 'Autumn 2026',
    halfTerm: false,
    closure: null,
    offsetMinutes: 60,
  });
});

test('opens nothing at an instant that is not a time', () => {
  assert.equal(london.windowsAt(Number.NaN), 0);
  assert.equal(london.windowsAt(Number.POSITIVE_INFINITY), 0);
  assert.throws(() => london.localTime(Number.NaN), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_ENGINE_QUERY');
});

test('the complement of a complement is the window itself', () => {
  const cal = compileCalendar(
    referenceCalendar({ windows: { lessons: { on: 'school-days', times: ['08:50-10:30'] }, free: { complementOf: 'lessons' }, 'not-free': { complementOf: 'free' } } }),
  );
  for (const iso of ['2026-11-24T09:00:00Z', '2026-11-24T11:00:00Z', '2026-11-28T09:00:00Z']) {
    const mask = cal.windowsAt(Date.parse(iso));
    assert.equal((mask & 1) !== 0, (mask & 4) !== 0, iso);
    assert.equal((mask & 1) !== 0, (mask & 2) === 0, iso);
  }
});

test('a window open until 24:00 is open in the last minute of the day', () => {
  const cal = compileCalendar(referenceCalendar({ windows: { late: { on: 'every-day', times: ['23:00-24:00'] } } }));
  assert.equal(cal.windowsAt(Date.parse('2026-11-24T23:59:59Z')), 1);
  assert.equal(cal.windowsAt(Date.parse('2026-11-25T00:00:00Z')), 0);
});

// ---------------------------------------------------------------------------------------------
// Validation

function problemsOf(calendar: Calendar): Array<[string, string]> {
  return compileCalendarProblems(calendar).map((p) => [p.field, p.message]);
}

test('a valid calendar has no problems', () => {
  assert.deepEqual(compileCalendarProblems(referenceCalendar()), []);
});

test('reports an unknown time zone', () => {
  assert.deepEqual(problemsOf(referenceCalendar({ timeZone: 'Europe/Lundon' })), [['calendar.timeZone', 'unknown time zone `Europe/Lundon`']]);
});

test('reports an unknown weekday', () => {
  assert.deepEqual(problemsOf(referenceCalendar({ schoolDays: ['mon', 'tues' as 'tue'] })), [['calendar.schoolDays[1]', 'unknown weekday `tues`']]);
});

test('reports a date that does not exist', () => {
  const calendar = referenceCalendar();
  calendar.terms[1]!.end = '2027-02-30';
  assert.deepEqual(problemsOf(calendar), [['calendar.terms[1].end', 'not a date like 2026-09-02: `2027-02-30`']]);
});

test('reports a term that ends before it starts', () => {
  const calendar = referenceCalendar();
  calendar.terms[2] = { name: 'Summer 2027', start: '2027-07-21', end: '2027-04-12', halfTerms: [] };
  assert.deepEqual(problemsOf(calendar), [['calendar.terms[2].end', 'term `Summer 2027` ends (`2027-04-12`) before it starts (`2027-07-21`)']]);
});

test('reports a half term that ends before it starts', () => {
  const calendar = referenceCalendar();
  calendar.terms[1]!.halfTerms[0] = { start: '2027-02-19', end: '2027-02-15' };
  assert.deepEqual(problemsOf(calendar), [['calendar.terms[1].halfTerms[0].end', 'half term ends (`2027-02-15`) before it starts (`2027-02-19`)']]);
});

test('reports a half term outside its term', () => {
  const calendar = referenceCalendar();
  calendar.terms[1]!.halfTerms[0] = { start: '2027-01-01', end: '2027-03-30' };
  assert.deepEqual(problemsOf(calendar), [
    ['calendar.terms[1].halfTerms[0].start', 'half term starts (`2027-01-01`) before term `Spring 2027` starts (`2027-01-04`)'],
    ['calendar.terms[1].halfTerms[0].end', 'half term ends (`2027-03-30`) after term `Spring 2027` ends (`2027-03-26`)'],
  ]);
});

test('reports overlapping terms', () => {
  const calendar = referenceCalendar();
  calendar.terms[1]!.start = '2026-12-14';
  assert.deepEqual(problemsOf(calendar), [['calendar.terms[1].start', 'term `Spring 2027` overlaps term `Autumn 2026` (`2026-09-02` to `2026-12-18`)']]);
});

test('reports a closure that ends before it starts', () => {
  assert.deepEqual(problemsOf(referenceCalendar({ closures: [{ date: '2026-11-24', end: '2026-11-23' }] })), [
    ['calendar.closures[0].end', 'closure ends (`2026-11-23`) before it starts (`2026-11-24`)'],
  ]);
});

test('reports time ranges that are empty, reversed or not times of day', () => {
  const windows = { lessons: { on: 'school-days' as const, times: ['08:50-10:30', '10:30-10:30', '12:00-11:00', '24:00-24:00', '23:00-24:30', '8:50-9:00'] } };
  assert.deepEqual(problemsOf(referenceCalendar({ windows })), [
    ['calendar.windows.lessons.times[1]', 'time range `10:30-10:30` must start before it ends'],
    ['calendar.windows.lessons.times[2]', 'time range `12:00-11:00` must start before it ends'],
    ['calendar.windows.lessons.times[3]', 'time range `24:00-24:00` must start before it ends'],
    ['calendar.windows.lessons.times[4]', 'not a time range like 08:50-10:30: `23:00-24:30`'],
    ['calendar.windows.lessons.times[5]', 'not a time range like 08:50-10:30: `8:50-9:00`'],
  ]);
});

test('reports a complement of an unknown window', () => {
  const windows = { ...referenceCalendar().windows, free: { complementOf: 'lesons' } };
  assert.deepEqual(problemsOf(referenceCalendar({ windows })), [['calendar.windows.free.complementOf', 'unknown window `lesons`']]);
});

test('reports windows that are complements of each other in a cycle', () => {
  const windows = { a: { complementOf: 'b' }, b: { complementOf: 'c' }, c: { complementOf: 'a' }, d: { complementOf: 'd' }, e: { complementOf: 'a' } };
  assert.deepEqual(problemsOf(referenceCalendar({ windows })), [
    ['calendar.windows.a.complementOf', 'windows refer to each other in a cycle: `a` → `b` → `c` → `a`'],
    ['calendar.windows.d.complementOf', 'windows refer to each other in a cycle: `d` → `d`'],
  ]);
});

test('reports more than 31 windows', () => {
  const windows = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`w${i}`, { on: 'every-day' as const, times: ['08:00-09:00'] }]));
  assert.deepEqual(problemsOf(referenceCalendar({ windows })), [['calendar.windows', 'too many windows: 32 (at most 31)']]);
  windows.w31 = undefined as never;
  delete windows.w31;
  assert.equal(compileCalendar(referenceCalendar({ windows })).windowMask('w30'), 2 ** 30);
});

test('reports every problem at once, and compileCalendar throws the first with its place', () => {
  const calendar = referenceCalendar({ timeZone: 'Mars/Olympus_Mons', windows: { free: { complementOf: 'lessons' } } });
  calendar.terms[0]!.halfTerms[0] = { start: '2026-10-30', end: '2026-10-26' };
  assert.deepEqual(
    compileCalendarProblems(calendar).map((p) => p.field),
    ['calendar.timeZone', 'calendar.terms[0].halfTerms[0].end', 'calendar.windows.free.complementOf'],
  );
  assert.throws(
    () => compileCalendar(calendar, { file: 'school.yaml', fieldPrefix: 'layers[2].calendar' }),
    (e: unknown) =>
      e instanceof HedgerowError &&
      e.code === 'HR_POLICY_CALENDAR' &&
      e.message === 'unknown time zone `Mars/Olympus_Mons`' &&
      e.where?.file === 'school.yaml' &&
      e.where.field === 'layers[2].calendar.timeZone',
  );
});
