/** Newer/older buttons for keyset pages: the server gives the next cursor, we keep the ones behind. */
export function Pager({ canBack, next, onBack, onNext, label }: { canBack: boolean; next: boolean; onBack: () => void; onNext: () => void; label: string }) {
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={!canBack} onClick={onBack}>
        ← Newer
      </button>
      <button type="button" disabled={!next} onClick={onNext}>
        Older →
      </button>
    </nav>
  );
}
