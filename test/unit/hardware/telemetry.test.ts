import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TelemetryFrame } from '../../../contract/domains/hardware';
import { parseTelemetryLine, telemetryArgs, TelemetryStream, type ChildLike } from '../../../main/services/hardware/telemetry';

function fakeChild() {
  const emitter = new EventEmitter();
  const stdout = new PassThrough();
  let killed = false;
  const child = Object.assign(emitter, { stdout, stderr: new PassThrough(), kill: () => ((killed = true), stdout.end(), emitter.emit('exit', null), true) }) as unknown as ChildLike;
  return { child, stdout, emitter, killed: () => killed };
}

describe('telemetry', () => {
  it('parses a csv,noheader,nounits line and refuses anything else', () => {
    expect(parseTelemetryLine('0, 87, 41, 66, 245.31, 20000, 24576')).toEqual({
      index: 0,
      utilizationPct: 87,
      memoryUtilizationPct: 41,
      temperatureC: 66,
      powerW: 245.31,
      memoryUsedMiB: 20000,
      memoryTotalMiB: 24576,
    });
    expect(parseTelemetryLine('1, [N/A], [N/A], 40, [N/A], 5, 81559')).toMatchObject({ index: 1, utilizationPct: null, powerW: null, temperatureC: 40 });
    expect(parseTelemetryLine('index, utilization.gpu [%]')).toBeNull();
    expect(parseTelemetryLine('Failed to initialize NVML: Unknown Error')).toBeNull();
  });

  it('spawns ONE nvidia-smi with -lms and turns its stream into per-second frames', async () => {
    const spawned: string[][] = [];
    const fake = fakeChild();
    const frames: TelemetryFrame[] = [];
    const stream = new TelemetryStream((f) => frames.push(f), {
      nvml: null,
      spawn: (cmd, args) => {
        spawned.push([cmd, ...args]);
        return fake.child;
      },
      now: () => 42,
    });
    expect(stream.start()).toMatchObject({ source: 'nvidia-smi', running: true });
    expect(stream.start().running).toBe(true); // idempotent: still one process
    expect(spawned).toEqual([['nvidia-smi', ...telemetryArgs(1000)]]);
    expect(spawned[0]).toContain('-lms');
    // two GPUs, three intervals
    for (let t = 0; t < 3; t++) fake.stdout.write(`0, ${t}, 1, 50, 100.5, 10, 100\n1, ${t + 10}, 1, 51, 99.5, 11, 100\n`);
    await new Promise((r) => setTimeout(r, 400));
    expect(frames).toHaveLength(3);
    expect(frames.map((f) => f.gpus.map((g) => g.utilizationPct))).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
    expect(frames[0]).toMatchObject({ at: 42, source: 'nvidia-smi' });
    stream.stop();
    expect(fake.killed()).toBe(true);
    expect(stream.current.running).toBe(false);
  });

  it('reports a missing nvidia-smi instead of throwing', async () => {
    const fake = fakeChild();
    const stream = new TelemetryStream(() => undefined, { nvml: null, spawn: () => fake.child });
    stream.start();
    fake.emitter.emit('error', Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }));
    expect(stream.current).toMatchObject({ source: 'none', running: false });
    expect(stream.current.detail).toMatch(/not installed/);
  });

  it('uses NVML when the addon is there, without spawning anything', async () => {
    const frames: TelemetryFrame[] = [];
    const stream = new TelemetryStream((f) => frames.push(f), {
      intervalMs: 20,
      spawn: () => {
        throw new Error('must not spawn');
      },
      nvml: {
        init: () => true,
        shutdown: () => undefined,
        sample: () => [{ index: 0, utilizationGpu: 5, utilizationMemory: 1, temperatureC: 30, powerMilliwatts: 50_000, memoryUsedBytes: 1048576, memoryTotalBytes: 2 * 1048576 }],
      },
    });
    expect(stream.start().source).toBe('nvml');
    await new Promise((r) => setTimeout(r, 70));
    stream.stop();
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]!.gpus[0]).toMatchObject({ powerW: 50, memoryUsedMiB: 1, memoryTotalMiB: 2 });
  });
});
