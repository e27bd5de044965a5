import type { MenuItemConstructorOptions } from 'electron';
import type { EventEnvelope } from '../../../contract';
import type { GuardState } from '../../../contract/domains/guard';
import type { RoundState } from '../../../contract/domains/round';
import type { ConfigStore } from '../../core/config/config-store';
import type { Dispatch } from '../../core/dispatcher';
import type { Logger } from '../../core/logging/logger';

/** The slices of Electron the desktop extras use; injected so tests run without Electron. */
export interface DesktopElectron {
  app: {
    setLoginItemSettings(settings: { openAtLogin: boolean; openAsHidden?: boolean }): void;
    isPackaged: boolean;
  };
  createTray(iconPath: string): { setToolTip(text: string): void; setContextMenu(menu: unknown): void; on(event: 'click', fn: () => void): void; destroy(): void };
  buildMenu(template: MenuItemConstructorOptions[]): unknown;
  notify(title: string, body: string): void;
}

export interface Updater {
  channel: string | null;
  allowPrerelease: boolean;
  autoDownload: boolean;
  checkForUpdatesAndNotify(): Promise<unknown>;
}

export interface DesktopOptions {
  electron: DesktopElectron;
  dispatch: Dispatch;
  subscribe(listener: (event: EventEnvelope) => void): () => void;
  config: ConfigStore;
  logger: Logger;
  trayIcon: string;
  showWindow(): void;
  quit(): void;
  updater?: Updater;
}

/** One line for the tray's tooltip and first menu item. */
export function statusLine(round: RoundState | null, guard: GuardState | null): string {
  if (!round || !round.joined) return round?.blocker ? `Not training: ${round.blocker}` : 'Not training';
  const base = round.phase === 'training' ? `Training window ${round.window ?? '—'} (${round.innerStep}/${round.innerSteps})` : `${round.phase[0]!.toUpperCase()}${round.phase.slice(1)}${round.window === null ? '' : ` · window ${round.window}`}`;
  return guard?.throttled ? `${base} · throttled (level ${guard.level})` : base;
}

export function trayTemplate(
  view: { round: RoundState | null; guard: GuardState | null; startAtLogin: boolean; updateChannel: 'latest' | 'beta' },
  act: { pause(): void; resume(): void; open(): void; setStartAtLogin(on: boolean): void; setChannel(channel: 'latest' | 'beta'): void; quit(): void },
): MenuItemConstructorOptions[] {
  const joined = view.round?.joined ?? false;
  return [
    { label: statusLine(view.round, view.guard), enabled: false },
    { type: 'separator' },
    joined ? { label: 'Pause after this round', click: act.pause } : { label: 'Resume training', click: act.resume },
    { label: 'Open Tandem', click: act.open },
    { type: 'separator' },
    { label: 'Start at login', type: 'checkbox', checked: view.startAtLogin, click: (item) => act.setStartAtLogin(item.checked) },
    {
      label: 'Update channel',
      submenu: [
        { label: 'Stable', type: 'radio', checked: view.updateChannel === 'latest', click: () => act.setChannel('latest') },
        { label: 'Beta', type: 'radio', checked: view.updateChannel === 'beta', click: () => act.setChannel('beta') },
      ],
    },
    { type: 'separator' },
    { label: 'Quit Tandem', click: act.quit },
  ];
}

/** Points electron-updater at the configured channel; checks only in a packaged app (dev has no update feed). */
export function configureUpdater(updater: Updater, channel: 'latest' | 'beta', options: { isPackaged: boolean; enabled: boolean; logger: Logger }): boolean {
  updater.channel = channel;
  updater.allowPrerelease = channel === 'beta';
  updater.autoDownload = true;
  if (!options.isPackaged || !options.enabled) return false;
  updater.checkForUpdatesAndNotify().catch((error: unknown) => options.logger.warn({ err: error }, 'update check failed'));
  return true;
}

/**
 * The desktop extras, thin over the core: a tray with status and
 * pause/resume, start at login (opt-in), system notifications for the core's
 * `notification` events, and the update channel.
 */
export function installDesktop(options: DesktopOptions): { dispose(): void } {
  const { electron, dispatch, config, logger } = options;
  let round: RoundState | null = null;
  let guard: GuardState | null = null;
  const tray = electron.createTray(options.trayIcon);
  tray.on('click', options.showWindow);

  const request = (method: 'round.join' | 'round.leave', params: object) => {
    void dispatch({ kind: 'request', id: `tray-${Date.now()}`, method, params }).then((response) => {
      if (!response.ok) electron.notify('Tandem', response.error.message);
    });
  };
  const saveDesktop = (patch: Partial<ReturnType<typeof desktopOf>>) =>
    config.update((draft) => ({ ...draft, desktop: { ...draft.desktop, ...patch } })).then(render, (error: unknown) => logger.warn({ err: error }, 'could not save the desktop setting'));
  const desktopOf = () => config.value.desktop;

  function render() {
    const d = desktopOf();
    tray.setToolTip(`Tandem — ${statusLine(round, guard)}`);
    tray.setContextMenu(
      electron.buildMenu(
        trayTemplate(
          { round, guard, startAtLogin: d.startAtLogin, updateChannel: d.updateChannel },
          {
            pause: () => request('round.leave', { when: 'after-round' }),
            resume: () => request('round.join', {}),
            open: options.showWindow,
            setStartAtLogin: (on) => {
              electron.app.setLoginItemSettings({ openAtLogin: on, openAsHidden: true });
              void saveDesktop({ startAtLogin: on });
            },
            setChannel: (channel) => {
              if (options.updater) configureUpdater(options.updater, channel, { isPackaged: electron.app.isPackaged, enabled: desktopOf().checkForUpdates, logger });
              void saveDesktop({ updateChannel: channel });
            },
            quit: options.quit,
          },
        ),
      ),
    );
  }

  // The login item follows the saved choice (it could have been edited by hand).
  electron.app.setLoginItemSettings({ openAtLogin: desktopOf().startAtLogin, openAsHidden: true });
  if (options.updater) configureUpdater(options.updater, desktopOf().updateChannel, { isPackaged: electron.app.isPackaged, enabled: desktopOf().checkForUpdates, logger });

  const unsubscribe = options.subscribe((event) => {
    if (event.event === 'round') {
      const previous = round;
      round = event.data as RoundState;
      // Re-render on what the menu shows, not on every inner step's loss.
      if (!previous || previous.joined !== round.joined || previous.phase !== round.phase || previous.window !== round.window || previous.innerStep !== round.innerStep) render();
    } else if (event.event === 'guard') {
      const previous = guard;
      guard = event.data as GuardState;
      if (previous?.throttled !== guard.throttled || previous.level !== guard.level) render();
    } else if (event.event === 'notification') {
      const n = event.data as { title: string; body: string };
      electron.notify(n.title, n.body);
    }
  });
  render();
  return {
    dispose() {
      unsubscribe();
      tray.destroy();
    },
  };
}
