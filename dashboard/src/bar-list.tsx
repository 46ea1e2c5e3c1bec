// Horizontal bars for counts by name (blocks by category, blocks by group). Each row reads as
// text ("Social media: 42"); the bar is decoration scaled to the largest count.
import { formatNumber } from './format.ts';

export interface BarItem {
  id: string;
  label: string;
  count: number;
}

export function BarList({ items, label, tone = 'blocked' }: { items: readonly BarItem[]; label: string; tone?: 'blocked' | 'neutral' }) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return (
    <ul className="bar-list" aria-label={label}>
      {items.map((item) => (
        <li key={item.id}>
          <span className="bar-label">{item.label}</span>
          <span className="bar-track" aria-hidden="true">
            <span className={`bar-fill bar-${tone}`} style={{ width: `${Math.max(2, (item.count / max) * 100)}%` }} />
          </span>
          <span className="bar-count">{formatNumber(item.count)}</span>
        </li>
      ))}
    </ul>
  );
}
