// Next and previous pages of a list that pages by cursor; nothing when there is only one page.
export function Pager({ label, cursors, nextCursor, onChange }: { label: string; cursors: ReadonlyArray<string | null>; nextCursor: string | null; onChange(next: Array<string | null>): void }) {
  if (cursors.length <= 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={cursors.length <= 1} onClick={() => onChange(cursors.slice(0, -1))}>
        Previous page
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onChange([...cursors, nextCursor])}>
        Next page
      </button>
    </nav>
  );
}
