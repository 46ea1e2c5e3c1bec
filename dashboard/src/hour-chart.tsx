// Decisions by hour as stacked bars (allowed below, blocked on top), drawn in SVG with labelled
// axes, and the same figures as a table for anyone who cannot see the chart.
import { useId } from 'react';
import { formatNumber } from './format.ts';

export interface HourBar {
  /** `09:00` */
  label: string;
  allowed: number;
  blocked: number;
}

const WIDTH = 720;
const HEIGHT = 260;
const LEFT = 48;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 32;

/** Axis ticks: whole-number steps of 1, 2 or 5 × 10ⁿ, at most five of them above zero. */
export function axisTicks(max: number): number[] {
  const rough = Math.max(1, max / 5);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough && Number.isInteger(s)) ?? 10 * power;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top; t += step) ticks.push(t);
  return ticks;
}

/** `18:00` → `19:00`: the end of the hour a bar stands for. */
function endOf(label: string): string {
  const hour = Number(label.slice(0, 2));
  return Number.isFinite(hour) ? `${String((hour + 1) % 24).padStart(2, '0')}:00` : label;
}

export function summariseHours(bars: readonly HourBar[]): string {
  const total = bars.reduce((sum, b) => sum + b.allowed + b.blocked, 0);
  if (total === 0) return 'No decisions were recorded in these hours.';
  const busiest = bars.reduce((best, b) => (b.allowed + b.blocked > best.allowed + best.blocked ? b : best));
  const mostBlocked = bars.reduce((best, b) => (b.blocked > best.blocked ? b : best));
  const blocked = bars.reduce((sum, b) => sum + b.blocked, 0);
  return (
    `${formatNumber(total)} decisions from ${bars[0]!.label} to ${endOf(bars[bars.length - 1]!.label)}; ` +
    `the busiest hour was ${busiest.label} with ${formatNumber(busiest.allowed + busiest.blocked)}. ` +
    (blocked > 0 ? `${formatNumber(blocked)} were blocked, most at ${mostBlocked.label} (${formatNumber(mostBlocked.blocked)}).` : 'None were blocked.')
  );
}

export function HourChart({ bars, title }: { bars: readonly HourBar[]; title: string }) {
  const id = useId();
  const ticks = axisTicks(Math.max(1, ...bars.map((b) => b.allowed + b.blocked)));
  const max = ticks[ticks.length - 1]!;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, bars.length);
  const barWidth = Math.max(4, slot * 0.7);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  const labelEvery = bars.length > 16 ? 3 : bars.length > 10 ? 2 : 1;
  const summary = summariseHours(bars);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} className="chart-svg">
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} className="chart-grid" />
            <text x={LEFT - 6} y={y(tick) + 4} textAnchor="end" className="chart-axis">
              {formatNumber(tick)}
            </text>
          </g>
        ))}
        {bars.map((bar, i) => {
          const x = LEFT + i * slot + (slot - barWidth) / 2;
          return (
            <g key={bar.label}>
              <rect x={x} y={y(bar.allowed)} width={barWidth} height={y(0) - y(bar.allowed)} className="chart-allowed" />
              <rect x={x} y={y(bar.allowed + bar.blocked)} width={barWidth} height={y(bar.allowed) - y(bar.allowed + bar.blocked)} className="chart-blocked" />
              {i % labelEvery === 0 ? (
                <text x={x + barWidth / 2} y={HEIGHT - BOTTOM + 18} textAnchor="middle" className="chart-axis">
                  {bar.label}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(0)} y2={y(0)} className="chart-baseline" />
      </svg>
      <figcaption>
        <span className="legend">
          <span className="legend-swatch swatch-allowed" aria-hidden="true" /> Allowed
        </span>
        <span className="legend">
          <span className="legend-swatch swatch-blocked" aria-hidden="true" /> Blocked
        </span>
        <span className="chart-summary">{summary}</span>
      </figcaption>
      <details className="chart-table">
        <summary>Show the figures as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col" className="num">
                Allowed
              </th>
              <th scope="col" className="num">
                Blocked
              </th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.label}>
                <th scope="row">{bar.label}</th>
                <td className="num">{formatNumber(bar.allowed)}</td>
                <td className="num">{formatNumber(bar.blocked)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
