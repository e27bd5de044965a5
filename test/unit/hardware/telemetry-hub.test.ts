import { describe, expect, it } from 'vitest';
import type { TelemetryFrame, TelemetryStatus } from '../../../contract/domains/hardware';
import { SimulatedGpu } from '../../../main/services/guard/simulated-gpu';
import { TelemetryHub, type TelemetryFeedFactory } from '../../../main/services/hardware/telemetry-hub';

/** A feed driven by hand: counts starts and stops, emits frames on demand. */
function manualFeed() {
  const log = { starts: 0, stops: 0 };
  let emit: ((frame: TelemetryFrame) => void) | undefined;
  let status: TelemetryStatus = { source: 'none', running: false, detail: null };
  const factory: TelemetryFeedFactory = (onFrame) => {
    emit = onFrame;
    return {
      start: () => {
        log.starts++;
        status = { source: 'nvidia-smi', running: true, detail: 'one process' };
        return status;
      },
      stop: () => {
        log.stops++;
        status = { ...status, running: false };
      },
      get current() {
        return status;
      },
    };
  };
  return {
    log,
    factory,
    frame: (temperatureC: number) => emit?.({ at: 1, source: 'nvidia-smi', gpus: [{ index: 0, utilizationPct: 90, memoryUtilizationPct: 10, temperatureC, powerW: 200, memoryUsedMiB: 1, memoryTotalMiB: 2 }] }),
    die: () => (status = { source: 'none', running: false, detail: 'nvidia-smi exited (9)' }),
  };
}

describe('TelemetryHub', () => {
  it('runs one source for every reader and stops it after the last one leaves', () => {
    const feed = manualFeed();
    const hub = new TelemetryHub(feed.factory);
    const ui: Array<number | null> = [];
    const guard: Array<number | null> = [];
    const a = hub.subscribe((f) => ui.push(f.gpus[0]!.temperatureC));
    const b = hub.subscribe((f) => guard.push(f.gpus[0]!.temperatureC));
    expect(a.status.running).toBe(true);
    expect(feed.log.starts).toBe(1);

    feed.frame(70);
    a.unsubscribe();
    a.unsubscribe(); // twice is harmless
    feed.frame(71);
    expect(ui).toEqual([70]);
    expect(guard).toEqual([70, 71]);
    expect(feed.log.stops).toBe(0);

    b.unsubscribe();
    expect(feed.log.stops).toBe(1);
    expect(hub.status.running).toBe(false);
  });

  it('starts a source that died afresh for the next reader, and says why it stopped meanwhile', () => {
    const feed = manualFeed();
    const hub = new TelemetryHub(feed.factory);
    hub.subscribe(() => undefined);
    feed.die();
    expect(hub.status).toEqual({ source: 'none', running: false, detail: 'nvidia-smi exited (9)' });
    hub.subscribe(() => undefined);
    expect(feed.log.starts).toBe(2);
    expect(hub.status.running).toBe(true);
  });

  it('serves a simulated GPU under its own name', async () => {
    const gpu = new SimulatedGpu({ startC: 90, intervalMs: 5 });
    const hub = new TelemetryHub(gpu.feed());
    const frames: TelemetryFrame[] = [];
    const sub = hub.subscribe((f) => frames.push(f));
    expect(sub.status.source).toBe('simulated');
    await expect.poll(() => frames.length).toBeGreaterThan(0);
    sub.unsubscribe();
    expect(frames[0]!.source).toBe('simulated');
  });
});
