import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, safeStorage, session, Tray } from 'electron';
import electronUpdater from 'electron-updater';
import { IPC_CHANNELS } from '../../../contract';
import { bootstrap, type Runtime } from '../../app/bootstrap';
import { ConfigError } from '../../core/config/config-store';
import { electronAppPaths } from '../../platform/app-paths';
import { safeStorageKeychain } from '../../adapters/keychain';
import { installDesktop } from './desktop';
import { hardenWebContents, installContentSecurityPolicy } from './harden';
import { registerContractIpc } from './ipc';
import type { TrustedRenderer } from './sender-check';
import { mainWindowOptions } from './window-options';

// dist/electron/main.mjs sits beside preload.cjs, and dist/renderer holds the UI.
const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, 'preload.cjs');
const pageUrl = pathToFileURL(path.join(here, '..', 'renderer', 'index.html')).href;
// assets/ ships inside the app (asar) beside dist/.
const trayIcon = path.join(here, '..', '..', 'assets', 'tray.png');

let mainWindow: BrowserWindow | undefined;
let runtime: Runtime | undefined;
let desktop: { dispose(): void } | undefined;

function trustedRenderer(): TrustedRenderer | undefined {
  return mainWindow && !mainWindow.isDestroyed() ? { webContentsId: mainWindow.webContents.id, pageUrl } : undefined;
}

function createWindow(rt: Runtime): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(preloadPath));
  window.once('ready-to-show', () => window.show());
  const unsubscribe = rt.core.subscribe((event) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_CHANNELS.event, event);
  });
  window.on('closed', () => {
    unsubscribe();
    mainWindow = undefined;
  });
  void window.loadURL(pageUrl);
  return window;
}

async function start(): Promise<void> {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, () => pageUrl));
  installContentSecurityPolicy(session.defaultSession);
  try {
    const network = process.env['TANDEM_NETWORK'];
    const paths = electronAppPaths(app.getPath('userData'));
    // The OS keychain (Keychain, DPAPI, libsecret) can hold the hotkey passphrase; headless mode has none.
    const keychain = safeStorageKeychain(safeStorage, path.join(paths.dataDir, 'keychain'));
    const manifest = process.env['TANDEM_MANIFEST'];
    const runOwner = process.env['TANDEM_RUN_OWNER'];
    const netuid = process.env['TANDEM_NETUID'];
    runtime = await bootstrap('electron', paths, { keychain, ...(network ? { network } : {}), ...(manifest ? { manifest } : {}), ...(netuid ? { netuid: Number(netuid) } : {}), ...(runOwner ? { runOwner } : {}) });
  } catch (error) {
    const message = error instanceof ConfigError ? `Fix the config file and start Tandem again.\n\n${error.message}` : String(error);
    dialog.showErrorBox('Tandem cannot start', message);
    app.exit(1);
    return;
  }
  registerContractIpc({ ipcMain, dispatch: runtime.core.dispatch, trusted: trustedRenderer, logger: runtime.logger });
  mainWindow = createWindow(runtime);
  const rt = runtime;
  desktop = installDesktop({
    electron: {
      app,
      createTray: (icon) => new Tray(icon),
      buildMenu: (template) => Menu.buildFromTemplate(template),
      notify: (title, body) => {
        if (Notification.isSupported()) new Notification({ title, body }).show();
      },
    },
    dispatch: rt.core.dispatch,
    subscribe: (listener) => rt.core.subscribe(listener),
    config: rt.config,
    logger: rt.logger,
    trayIcon,
    showWindow: () => {
      if (!mainWindow) mainWindow = createWindow(rt);
      else {
        if (mainWindow.isMinimized()) mainWindow.restore();
        mainWindow.show();
        mainWindow.focus();
      }
    },
    quit: () => app.quit(),
    updater: electronUpdater.autoUpdater,
  });
}

// One Tandem per user: a second launch focuses the first window instead of racing it for the trainer and the data folder.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  // With the tray in place, closing the window leaves Tandem training in the background; Quit is in the tray menu.
  app.on('window-all-closed', () => {
    if (!desktop) app.quit();
  });
  app.on('activate', () => {
    if (!mainWindow && runtime) mainWindow = createWindow(runtime);
  });
  const started = app.whenReady().then(start);
  // Quitting waits for the core to stop (the trainer ended, the books and logs written):
  // Electron would otherwise exit in the middle of it. app.exit does not emit will-quit again.
  let stopping = false;
  app.on('will-quit', (event) => {
    if (stopping) return;
    stopping = true;
    event.preventDefault();
    desktop?.dispose();
    void started
      .then(() => runtime?.shutdown())
      .catch((error: unknown) => console.error('Tandem did not stop cleanly:', error))
      .finally(() => app.exit(0));
  });
}
