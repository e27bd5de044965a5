import { ConnectionBanner } from './components/ConnectionBanner';
import { NotificationsArea } from './components/NotificationsArea';
import { EarningsPage } from './pages/EarningsPage';
import { Navigation, PAGE_LABELS } from './components/Navigation';
import { DashboardPage } from './pages/DashboardPage';
import { LogsPage } from './pages/LogsPage';
import { SettingsPage } from './pages/SettingsPage';
import { HardwarePage } from './pages/HardwarePage';
import { NetworkPage } from './pages/NetworkPage';
import { WalletPage } from './pages/WalletPage';
import { useStore } from './store';
import { navigationSelectors } from './store/slices/navigation';
import type { PageId } from './store/types';
import { OnboardingPage } from './pages/OnboardingPage';

const PAGE_COMPONENTS: Record<PageId, () => React.JSX.Element> = {
  dashboard: DashboardPage,
  hardware: HardwarePage,
  wallet: WalletPage,
  earnings: EarningsPage,
  network: NetworkPage,
  logs: LogsPage,
  settings: SettingsPage,
};

export function App() {
  const page = useStore(navigationSelectors.page);
  const Page = page === 'welcome' ? OnboardingPage : PAGE_COMPONENTS[page];
  return (
    <div className="app">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <Navigation />
      <main id="content" className="content" tabIndex={-1}>
        <ConnectionBanner />
        <NotificationsArea />
        <h1>{PAGE_LABELS[page]}</h1>
        <Page />
      </main>
    </div>
  );
}
