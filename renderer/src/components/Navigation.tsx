import type { KeyboardEvent } from 'react';
import { useStore } from '../store';
import { navigationSelectors } from '../store/slices/navigation';
import { PAGES, type PageId, type ViewId } from '../store/types';

export const PAGE_LABELS: Record<ViewId, string> = {
  dashboard: 'Dashboard',
  hardware: 'Hardware',
  wallet: 'Wallet',
  earnings: 'Earnings',
  network: 'Network',
  logs: 'Logs',
  settings: 'Settings',
  welcome: 'Welcome to Tandem',
};

/** Sidebar navigation; arrow keys move between pages as well as Tab does. */
export function Navigation() {
  const page = useStore(navigationSelectors.page);
  const navigate = useStore((s) => s.navigate);

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const delta = event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0;
    if (!delta) return;
    event.preventDefault();
    const next = PAGES[(index + delta + PAGES.length) % PAGES.length] as PageId;
    navigate(next);
    document.getElementById(`nav-${next}`)?.focus();
  };

  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand" aria-hidden="true">
        <img src="./favicon.svg" alt="" width={28} height={28} /> Tandem
      </div>
      <ul>
        {PAGES.map((id, index) => (
          <li key={id}>
            <button
              id={`nav-${id}`}
              type="button"
              className="nav-item"
              aria-current={page === id ? 'page' : undefined}
              onClick={() => navigate(id)}
              onKeyDown={(e) => onKeyDown(e, index)}
            >
              {PAGE_LABELS[id]}
            </button>
          </li>
        ))}
      </ul>
      <button type="button" className="nav-item nav-guide" aria-current={page === 'welcome' ? 'page' : undefined} onClick={() => navigate('welcome')}>
        Set-up guide
      </button>
    </nav>
  );
}
