import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../contract';
import type { RoundState } from '../../../contract/domains/round';
import { ConfigStore } from '../../../main/core/config/config-store';
import { configureUpdater, installDesktop, statusLine } from '../../../main/shells/electron/desktop';
import { idleRoundState } from '../../../main/services/round/round-status';
import { makeTempDir } from '../../support/temp-dir';

const logger = pino({ level: 'silent' });
const joined = (patch: Partial<RoundState> = {}): RoundState => ({ ...idleRoundState('devnet', ''), joined: true, blocker: null, phase: 'training', window: 12, innerStep: 7, innerSteps: 40, ...patch });

function updater() {
  return { channel: null as string | null, allowPrerelease: false, autoDownload: false, checkForUpdatesAndNotify: vi.fn(() => Promise.resolve(null)) };
}

describe('desktop extras (tray, start at login, notifications, updates)', () => {
  let temp: ReturnType<typeof makeTempDir>;
  afterEach(() => temp?.cleanup());

  async function setup() {
    temp = makeTempDir();
    const config = await ConfigStore.load(path.join(temp.dir, 'config.json'));
    const menus: MenuItemConstructorOptions[][] = [];
    const tooltips: string[] = [];
    const notified: string[] = [];
    const requests: Array<{ method: string; params: unknown }> = [];
    let listener: (e: EventEnvelope) => void = () => {};
    const electron = {
      app: { setLoginItemSettings: vi.fn(), isPackaged: true },
      createTray: () => ({ setToolTip: (t: string) => tooltips.push(t), setContextMenu: () => {}, on: () => {}, destroy: vi.fn() }),
      buildMenu: (template: MenuItemConstructorOptions[]) => menus.push(template),
      notify: (title: string, body: string) => notified.push(`${title}: ${body}`),
    };
    const up = updater();
    const desktop = installDesktop({
      electron,
      dispatch: async (raw) => {
        const r = raw as { id: string; method: string; params: unknown };
        requests.push({ method: r.method, params: r.params });
        return { kind: 'response', id: r.id, ok: true, result: {} };
      },
      subscribe: (fn) => {
        listener = fn;
        return () => {};
      },
      config,
      logger,
      trayIcon: '/x/tray.png',
      showWindow: vi.fn(),
      quit: vi.fn(),
      updater: up,
    });
    const item = (label: string) => menus.at(-1)!.find((m) => m.label === label) ?? menus.at(-1)!.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : [])).find((m) => m.label === label);
    const click = (label: string, checked?: boolean) => (item(label)!.click as (i: { checked: boolean }) => void)({ checked: checked ?? false });
    return { config, menus, tooltips, notified, requests, emit: (e: EventEnvelope) => listener(e), electron, up, desktop, item, click };
  }

  it('shows status in the tray and pauses after this round / resumes from its menu', async () => {
    const t = await setup();
    expect(t.item('Resume training')).toBeDefined();
    t.emit({ kind: 'event', event: 'round', data: joined() });
    expect(t.tooltips.at(-1)).toBe('Tandem — Training window 12 (7/40)');
    t.emit({ kind: 'event', event: 'guard', data: { throttled: true, level: 2 } as never });
    expect(t.menus.at(-1)![0]!.label).toBe('Training window 12 (7/40) · throttled (level 2)');
    t.click('Pause after this round');
    t.emit({ kind: 'event', event: 'round', data: joined({ joined: false, phase: 'paused', blocker: 'Paused by you.' }) });
    t.click('Resume training');
    await vi.waitFor(() => expect(t.requests).toEqual([
      { method: 'round.leave', params: { when: 'after-round' } },
      { method: 'round.join', params: {} },
    ]));
  });

  it('start at login is opt-in, set through Electron and remembered', async () => {
    const t = await setup();
    expect(t.electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: false, openAsHidden: true });
    expect(t.item('Start at login')!.checked).toBe(false);
    t.click('Start at login', true);
    expect(t.electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, openAsHidden: true });
    await vi.waitFor(() => expect(t.config.value.desktop.startAtLogin).toBe(true));
    expect(t.item('Start at login')!.checked).toBe(true);
  });

  it("turns the core's notifications into system notifications", async () => {
    const t = await setup();
    t.emit({ kind: 'event', event: 'notification', data: { id: 1, at: 0, kind: 'crash-loop', severity: 'error', title: 'The trainer keeps crashing', body: 'Stopped restarting it.', read: false } });
    expect(t.notified).toEqual(['The trainer keeps crashing: Stopped restarting it.']);
  });

  it('follows the update channel: checks for updates when packaged, beta allows pre-releases', async () => {
    const t = await setup();
    expect(t.up.channel).toBe('latest');
    expect(t.up.checkForUpdatesAndNotify).toHaveBeenCalledTimes(1);
    t.click('Beta');
    expect(t.up).toMatchObject({ channel: 'beta', allowPrerelease: true });
    await vi.waitFor(() => expect(t.config.value.desktop.updateChannel).toBe('beta'));

    const dev = updater();
    expect(configureUpdater(dev, 'latest', { isPackaged: false, enabled: true, logger })).toBe(false);
    expect(dev.checkForUpdatesAndNotify).not.toHaveBeenCalled();
  });

  it('says why it is not training', () => {
    expect(statusLine(null, null)).toBe('Not training');
    expect(statusLine(joined({ joined: false, blocker: 'Paused by the schedule: On battery power.' }), null)).toBe('Not training: Paused by the schedule: On battery power.');
    expect(statusLine(joined({ phase: 'uploading' }), null)).toBe('Uploading · window 12');
  });
});
