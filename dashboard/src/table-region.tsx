// Wide tables scroll sideways inside a labelled, focusable region, so keyboard users can scroll
// them too (a tablet in portrait is narrower than the activity table).
import type { ReactNode } from 'react';

export function TableRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-region" role="region" aria-label={`${label} table`} tabIndex={0}>
      {children}
    </div>
  );
}
