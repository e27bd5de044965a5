import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppNotification } from '../../../contract';
import { earningsFromCsv } from '../../../main/services/earnings/earnings-csv';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { Notifier } from '../../../main/services/notifications/notifier';
import { idleRoundState } from '../../../main/services/round/round-status';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

describe('guard, schedule and earnings through the core', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  const call = async (core: Awaited<ReturnType<typeof makeTestCore>>['core'], method: string, params: unknown = {}) => core.dispatch({ kind: 'request', id: '1', method, params });

  it('saves guard settings to the config file, refuses a bad one naming the field, and exposes the chosen GPUs', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    const bad = await call(core, 'guard.configure', { defaultTargetTempC: 300 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'defaultTargetTempC' })] } });
    const good = await call(core, 'guard.configure', { selectedGpus: [1], limits: [{ index: 1, targetTempC: 78, targetPowerW: 250 }] });
    expect(good).toMatchObject({ ok: true, result: { selectedGpus: [1], enabled: true } });
    const onDisk = JSON.parse(fs.readFileSync(paths.configFile, 'utf8')) as { guard: { limits: unknown[] } };
    expect(onDisk.guard.limits).toEqual([{ index: 1, targetTempC: 78, targetPowerW: 250 }]);
    expect(await call(core, 'guard.get')).toMatchObject({ ok: true, result: { visibleDevices: '1', throttled: false } });
  });

  it('applies a schedule at once and says why it is closed', async () => {
    const { core } = await makeTestCore(temp.dir);
    const bad = await call(core, 'schedule.configure', { windows: [{ day: 1, start: '18:00', end: '09:00' }] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'windows.0.end' })] } });
    await call(core, 'schedule.configure', { enabled: true, windows: [] });
    expect(await call(core, 'schedule.get')).toMatchObject({ ok: true, result: { enabled: true, open: false, reason: 'The schedule has no time windows yet.' } });
  });

  it('reports earnings from the ledger on disk before any Join, and exports CSV that parses back', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    expect(await call(core, 'earnings.report')).toMatchObject({ ok: true, result: { rows: [], ledgerTotal: '0' } });
    const ledger = new RoundLedger(path.join(paths.dataDir, 'devnet', 'peers', 'me', 'rounds.ndjson'));
    await ledger.append({ window: 4, at: 1_000, phase: 'missed', reason: 'not trained: catching up after downtime' });
    await ledger.append({ window: 5, at: 2_000, phase: 'trained' });
    await ledger.append({ window: 5, at: 2_000, phase: 'uploaded', bytesUp: 10 });
    await ledger.append({ window: 5, at: 3_000, phase: 'rewarded', reward: '7', weight: 0.5 });
    const report = await call(core, 'earnings.report');
    if (!report.ok) throw new Error('report failed');
    const rows = (report.result as { rows: Array<{ window: number; reward: string; reason: string | null }> }).rows;
    expect(rows.map((r) => [r.window, r.reward, r.reason])).toEqual([
      [4, '0', 'not trained: catching up after downtime'],
      [5, '7', null],
    ]);
    const exported = await call(core, 'earnings.exportCsv');
    if (!exported.ok) throw new Error('export failed');
    const { filename, csv } = exported.result as { filename: string; csv: string };
    expect(filename).toMatch(/^tandem-earnings-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(earningsFromCsv(csv)).toEqual(rows);
  });
});

describe('Notifier', () => {
  const make = () => {
    const seen: AppNotification[] = [];
    let clock = 0;
    const notifier = new Notifier({ onNotification: (n) => seen.push(n), now: () => clock });
    return { notifier, seen, advance: (ms: number) => (clock += ms) };
  };

  it('tells about a missed round once, with its reason', () => {
    const { notifier, seen } = make();
    const missed = { ...idleRoundState('devnet', ''), lastRound: { window: 9, phases: ['missed'], phaseSeconds: {}, bytesUp: 0, bytesDown: 0, reason: 'upload failed: timeout', firstAt: 0, lastAt: 0 } };
    notifier.onRound(missed);
    notifier.onRound(missed);
    expect(seen.map((n) => [n.kind, n.title, n.body])).toEqual([['missed-round', 'Round 9 missed', 'upload failed: timeout']]);
  });

  it('reports a failed check, a crash loop and a low balance, and does not repeat within the quiet time', () => {
    const { notifier, seen, advance } = make();
    const check = { id: 'gpu.present', title: 'NVIDIA GPU', category: 'gpu', status: 'fail', measured: 'none', required: '≥ 1', remediation: 'Install the driver.' } as const;
    notifier.onHardwareProgress({ runId: 'r', phase: 'check', step: '', completed: 1, total: 2, check });
    notifier.onSupervisor({ status: 'failed', pid: null, restarts: 5, recentCrashes: 5, nextAttemptAt: null, lastError: 'exit code 134', lastStderr: [] });
    const status = { coldkeyBalance: '1000' } as never;
    notifier.onChainStatus(status);
    notifier.onChainStatus(status);
    expect(seen.map((n) => n.kind)).toEqual(['failed-check', 'crash-loop', 'low-balance']);
    advance(11 * 60_000);
    notifier.onChainStatus(status);
    expect(seen.map((n) => n.kind)).toEqual(['failed-check', 'crash-loop', 'low-balance', 'low-balance']);
    expect(notifier.markRead([seen[0]!.id]).find((n) => n.id === seen[0]!.id)?.read).toBe(true);
  });
});
