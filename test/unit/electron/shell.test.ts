import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../../../contract';
import { makeTempDir } from '../../support/temp-dir';

// A recording stand-in for the parts of Electron the shell touches.
const electron = vi.hoisted(() => {
  const state = {
    lock: true,
    userData: '',
    windows: [] as Array<{ options: Record<string, unknown>; loadedUrl?: string; handlers: Record<string, (...a: unknown[]) => void> }>,
    headersHook: undefined as undefined | ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
    ipcHandlers: new Map<string, (event: unknown, raw: unknown) => unknown>(),
    appHandlers: new Map<string, (...a: unknown[]) => void>(),
  };
  class BrowserWindow {
    webContents = { id: 7, send: () => {} };
    private record: (typeof state.windows)[number];
    constructor(options: Record<string, unknown>) {
      this.record = { options, handlers: {} };
      state.windows.push(this.record);
    }
    once(event: string, fn: () => void) {
      this.record.handlers[event] = fn;
    }
    on(event: string, fn: () => void) {
      this.record.handlers[event] = fn;
    }
    loadURL(url: string) {
      this.record.loadedUrl = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    show() {}
  }
  const module = {
    app: {
      requestSingleInstanceLock: vi.fn(() => state.lock),
      quit: vi.fn(),
      exit: vi.fn(),
      on: vi.fn((event: string, fn: (...a: unknown[]) => void) => state.appHandlers.set(event, fn)),
      whenReady: vi.fn(() => Promise.resolve()),
      getPath: vi.fn(() => state.userData),
      setLoginItemSettings: vi.fn(),
      isPackaged: false,
    },
    BrowserWindow,
    ipcMain: {
      handle: vi.fn((channel: string, fn: (event: unknown, raw: unknown) => unknown) => state.ipcHandlers.set(channel, fn)),
      removeHandler: vi.fn(),
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn((fn: typeof state.headersHook) => (state.headersHook = fn)) },
      },
    },
    dialog: { showErrorBox: vi.fn() },
    safeStorage: { isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' },
    shell: { openExternal: vi.fn(() => Promise.resolve()) },
    Tray: class {
      on() {}
      setToolTip() {}
      setContextMenu() {}
      destroy() {}
    },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => template) },
    Notification: Object.assign(class {}, { isSupported: () => false }),
  };
  return { state, module };
});

vi.mock('electron', () => electron.module);
vi.mock('electron-updater', () => ({ default: { autoUpdater: { channel: null, allowPrerelease: false, autoDownload: false, checkForUpdatesAndNotify: vi.fn() } } }));

describe('Electron shell', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeEach(() => {
    temp = makeTempDir();
    electron.state.userData = temp.dir;
    electron.state.windows.length = 0;
    electron.state.ipcHandlers.clear();
    electron.state.appHandlers.clear();
    electron.state.headersHook = undefined;
    vi.clearAllMocks();
    vi.resetModules();
  });
  // Each test boots a whole core; it is quit (and waited for) before its folder goes, or its
  // logger would write into a folder that is gone, after the test.
  afterEach(async () => {
    const willQuit = electron.state.appHandlers.get('will-quit');
    if (willQuit) {
      willQuit({ preventDefault: () => {} });
      await vi.waitFor(() => expect(electron.module.app.exit).toHaveBeenCalled(), { timeout: 20_000 });
    }
    temp.cleanup();
  });

  it('creates an isolated, sandboxed window without Node and installs the CSP', async () => {
    electron.state.lock = true;
    await import('../../../main/shells/electron/main');
    await vi.waitFor(() => expect(electron.state.windows).toHaveLength(1));

    const prefs = electron.state.windows[0]!.options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(String(prefs['preload'])).toMatch(/preload\.cjs$/);
    expect(electron.state.windows[0]!.loadedUrl).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);

    // The CSP header is added to every response.
    let headers: Record<string, string[]> = {};
    electron.state.headersHook?.({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders));
    const csp = headers['Content-Security-Policy']?.[0] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('unsafe-inline');
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('answers IPC only from its own window and page', async () => {
    await import('../../../main/shells/electron/main');
    await vi.waitFor(() => expect(electron.state.ipcHandlers.has(IPC_CHANNELS.request)).toBe(true));
    const handler = electron.state.ipcHandlers.get(IPC_CHANNELS.request)!;
    const pageUrl = electron.state.windows[0]!.loadedUrl!;
    const request = { kind: 'request', id: 'a', method: 'app.ping', params: {} };

    const trusted = await handler({ sender: { id: 7 }, senderFrame: { url: pageUrl, parent: null } }, request);
    expect(trusted).toMatchObject({ ok: true });

    const cases = [
      { sender: { id: 8 }, senderFrame: { url: pageUrl, parent: null } }, // another webContents
      { sender: { id: 7 }, senderFrame: { url: 'https://evil.example/', parent: null } }, // navigated away
      { sender: { id: 7 }, senderFrame: { url: pageUrl, parent: {} } }, // an iframe
      { sender: { id: 7 }, senderFrame: null }, // frame gone
    ];
    for (const event of cases) expect(await handler(event, request)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('keeps running in the tray when the window is closed', async () => {
    await import('../../../main/shells/electron/main');
    await vi.waitFor(() => expect(electron.module.Menu.buildFromTemplate).toHaveBeenCalled());
    electron.state.appHandlers.get('window-all-closed')!();
    expect(electron.module.app.quit).not.toHaveBeenCalled();
    // Start at login stays off until the user opts in.
    expect(electron.module.app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: false, openAsHidden: true });
  });

  it('on quitting, holds Electron back until the core has stopped, then exits', async () => {
    await import('../../../main/shells/electron/main');
    await vi.waitFor(() => expect(electron.module.Menu.buildFromTemplate).toHaveBeenCalled());
    const event = { preventDefault: vi.fn() };
    electron.state.appHandlers.get('will-quit')!(event);
    expect(event.preventDefault).toHaveBeenCalledTimes(1);
    expect(electron.module.app.exit).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.module.app.exit).toHaveBeenCalledWith(0), { timeout: 20_000 });
    // The core stopped for real: its last log line is on disk.
    const logs = fs.readdirSync(path.join(temp.dir, 'logs'));
    const text = logs.map((name) => fs.readFileSync(path.join(temp.dir, 'logs', name), 'utf8')).join('');
    expect(text).toContain('core stopped');
    // A second will-quit (from app.exit's own quitting) is let through.
    const again = { preventDefault: vi.fn() };
    electron.state.appHandlers.get('will-quit')!(again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    electron.state.appHandlers.delete('will-quit');
  });

  it('quits when another instance holds the lock', async () => {
    electron.state.lock = false;
    await import('../../../main/shells/electron/main');
    expect(electron.module.app.quit).toHaveBeenCalled();
    expect(electron.module.app.whenReady).not.toHaveBeenCalled();
    electron.state.lock = true;
  });

  it('blocks navigation, new windows and webviews; opens only https links outside', async () => {
    const { hardenWebContents } = await import('../../../main/shells/electron/harden');
    const handlers: Record<string, (event: { preventDefault: () => void }, url?: string) => void> = {};
    let openHandler: (d: { url: string }) => { action: string } = () => ({ action: 'allow' });
    hardenWebContents(
      {
        on: ((event: string, fn: (typeof handlers)[string]) => (handlers[event] = fn)) as never,
        setWindowOpenHandler: ((fn: typeof openHandler) => (openHandler = fn)) as never,
      },
      () => 'file:///app/index.html',
    );
    const prevent = vi.fn();
    handlers['will-navigate']!({ preventDefault: prevent }, 'https://evil.example/');
    expect(prevent).toHaveBeenCalledTimes(1);
    handlers['will-navigate']!({ preventDefault: prevent }, 'file:///app/index.html#logs');
    expect(prevent).toHaveBeenCalledTimes(1);
    handlers['will-attach-webview']!({ preventDefault: prevent });
    expect(prevent).toHaveBeenCalledTimes(2);
    expect(openHandler({ url: 'https://docs.example/' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(electron.module.shell.openExternal).toHaveBeenCalledTimes(1);
    expect(electron.module.shell.openExternal).toHaveBeenCalledWith('https://docs.example/');
  });
});
