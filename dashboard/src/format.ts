// How the dashboard writes times, names and numbers: British English, the browser's time zone
// (the school's own, on the school's machines).
import type { NamedCollection } from './api-types.ts';

const dateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const timeOnly = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const number = new Intl.NumberFormat('en-GB');

export function formatDateTime(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? dateTime.format(ms) : '—';
}

export function formatTime(ms: number): string {
  return timeOnly.format(ms);
}

/** `2026-11-24` → `Tuesday 24 November 2026` */
export function formatIsoDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return iso;
  return dateOnly.format(new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

export function formatNumber(n: number): string {
  return number.format(n);
}

/** `safeguarding-lead` → `Safeguarding lead` */
export function humanise(id: string): string {
  // Short ids are initialisms (`ict`, `dns`).
  if (/^[a-z]{2,3}$/.test(id)) return id.toUpperCase();
  const words = id.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `Pupil` → `Pupils`, `Support staff` stays. */
export function pluralTitle(title: string): string {
  if (/(staff|s|people|children)$/i.test(title) || /[A-Z]{2,}$/.test(title)) return title;
  return `${title}s`;
}

export interface Named {
  id: string;
  title: string;
  /** anything else the definition carried (a group's role, a category's description) */
  extra: Record<string, unknown>;
}

/** Lists (`['pupil']`, `[{id, title}]`) and maps (`{pupil: {title}}`) as one shape. */
export function namedList(collection: NamedCollection | undefined): Named[] {
  if (!collection) return [];
  if (Array.isArray(collection)) {
    return collection.flatMap((item): Named[] => {
      if (typeof item === 'string') return [{ id: item, title: humanise(item) }].map((n) => ({ ...n, extra: {} }));
      const id = typeof item.id === 'string' ? item.id : typeof item.name === 'string' ? item.name : null;
      if (!id) return [];
      const title = typeof item.title === 'string' ? item.title : typeof item.text === 'string' ? item.text : humanise(id);
      return [{ id, title, extra: item }];
    });
  }
  return Object.entries(collection).map(([id, value]) => {
    if (typeof value === 'string') return { id, title: value, extra: {} };
    const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    return { id, title: typeof record.title === 'string' ? record.title : humanise(id), extra: record };
  });
}

/** `datetime-local` input value for an instant, in the browser's zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant a `datetime-local` value names in the browser's zone, or null when empty or invalid. */
export function fromLocalInput(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** What a person typed as a list: one per line, or separated by commas or spaces. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
