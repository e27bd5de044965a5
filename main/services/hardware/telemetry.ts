import { spawn as nodeSpawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { GpuSample, TelemetryFrame, TelemetrySource, TelemetryStatus } from '../../../contract/domains/hardware';
import { packageInfo } from '../../platform/package-info';
import { numberValue } from './values';

/**
 * Live GPU telemetry at 1 Hz without a process per sample: NVML through the
 * optional native addon (native/nvml, dlopen of libnvidia-ml at run time),
 * else ONE long-running `nvidia-smi --query-gpu=… -lms 1000` whose output is
 * parsed as a stream.
 */

export const TELEMETRY_FIELDS = ['index', 'utilization.gpu', 'utilization.memory', 'temperature.gpu', 'power.draw', 'memory.used', 'memory.total'] as const;

export function telemetryArgs(intervalMs = 1000): string[] {
  return [`--query-gpu=${TELEMETRY_FIELDS.join(',')}`, '--format=csv,noheader,nounits', `-lms`, String(intervalMs)];
}

/** One `--format=csv,noheader,nounits` line of {@link TELEMETRY_FIELDS}; null for a line that is not one (a header, a warning). */
export function parseTelemetryLine(line: string): GpuSample | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== TELEMETRY_FIELDS.length || !/^\d+$/.test(cells[0] ?? '')) return null;
  return {
    index: Number(cells[0]),
    utilizationPct: numberValue(cells[1]),
    memoryUtilizationPct: numberValue(cells[2]),
    temperatureC: numberValue(cells[3]),
    powerW: numberValue(cells[4]),
    memoryUsedMiB: numberValue(cells[5]),
    memoryTotalMiB: numberValue(cells[6]),
  };
}

/**
 * Groups streamed sample lines into frames: nvidia-smi prints one line per GPU
 * each interval, so a GPU index seen again starts the next frame; a pause of
 * `flushMs` also closes the frame (the last interval of a stream).
 */
export class FrameAssembler {
  private pending: GpuSample[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly emit: (gpus: GpuSample[]) => void,
    private readonly flushMs = 250,
  ) {}

  push(sample: GpuSample): void {
    if (this.pending.some((s) => s.index === sample.index)) this.flush();
    this.pending.push(sample);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.flushMs);
    this.timer.unref?.();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const frame = this.pending.sort((a, b) => a.index - b.index);
    this.pending = [];
    this.emit(frame);
  }
}

export interface ChildLike {
  stdout: Readable | null;
  stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  once(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}
export type Spawn = (command: string, args: string[]) => ChildLike;

/** What the native addon exposes (native/nvml); absent where it was not built. */
export interface NvmlBinding {
  init(): boolean;
  sample(): Array<{ index: number; utilizationGpu: number; utilizationMemory: number; temperatureC: number; powerMilliwatts: number; memoryUsedBytes: number; memoryTotalBytes: number }>;
  shutdown(): void;
}

/** Loads native/nvml's addon if it was built; null otherwise (no throw). */
export function loadNvml(root?: string): NvmlBinding | null {
  try {
    root ??= packageInfo().root;
    const require = createRequire(import.meta.url);
    const binding = require(path.join(root, 'native', 'nvml', 'build', 'Release', 'tandem_nvml.node')) as NvmlBinding;
    return binding.init() ? binding : null;
  } catch {
    return null;
  }
}

export interface TelemetryOptions {
  spawn?: Spawn;
  nvml?: NvmlBinding | null;
  intervalMs?: number;
  now?: () => number;
}

/** Starts one telemetry stream; frames go to `onFrame` until stop(). */
export class TelemetryStream {
  private child: ChildLike | null = null;
  private nvmlTimer: ReturnType<typeof setInterval> | undefined;
  private status: TelemetryStatus = { source: 'none', running: false, detail: null };

  constructor(
    private readonly onFrame: (frame: TelemetryFrame) => void,
    private readonly options: TelemetryOptions = {},
  ) {}

  get current(): TelemetryStatus {
    return this.status;
  }

  start(): TelemetryStatus {
    if (this.status.running) return this.status;
    const now = this.options.now ?? Date.now;
    const interval = this.options.intervalMs ?? 1000;
    const nvml = this.options.nvml === undefined ? loadNvml() : this.options.nvml;
    if (nvml) {
      const source: TelemetrySource = 'nvml';
      this.nvmlTimer = setInterval(() => {
        try {
          const gpus = nvml.sample().map((s) => ({
            index: s.index,
            utilizationPct: s.utilizationGpu,
            memoryUtilizationPct: s.utilizationMemory,
            temperatureC: s.temperatureC,
            powerW: s.powerMilliwatts / 1000,
            memoryUsedMiB: s.memoryUsedBytes / 1048576,
            memoryTotalMiB: s.memoryTotalBytes / 1048576,
          }));
          this.onFrame({ at: now(), source, gpus });
        } catch (error) {
          this.status = { source, running: false, detail: `NVML sampling failed: ${(error as Error).message}` };
          this.stop();
        }
      }, interval);
      this.nvmlTimer.unref?.();
      this.status = { source, running: true, detail: 'NVML (native addon)' };
      return this.status;
    }
    const spawn = this.options.spawn ?? ((command: string, args: string[]) => nodeSpawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }));
    let child: ChildLike;
    try {
      child = spawn('nvidia-smi', telemetryArgs(interval));
    } catch (error) {
      this.status = { source: 'none', running: false, detail: `nvidia-smi could not start: ${(error as Error).message}` };
      return this.status;
    }
    this.child = child;
    const assembler = new FrameAssembler((gpus) => this.onFrame({ at: now(), source: 'nvidia-smi', gpus }));
    const unread: string[] = [];
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const sample = parseTelemetryLine(line);
        if (sample) assembler.push(sample);
        else if (line.trim() && unread.length < 5) unread.push(line.trim());
      });
    }
    child.once('error', (error) => {
      this.child = null;
      this.status = { source: 'none', running: false, detail: error.code === 'ENOENT' ? 'nvidia-smi is not installed: no GPU telemetry' : `nvidia-smi failed: ${error.message}` };
    });
    child.once('exit', (code) => {
      assembler.flush();
      if (this.child !== child) return;
      this.child = null;
      this.status = { source: 'none', running: false, detail: `nvidia-smi exited (${code ?? 'signal'})${unread.length ? `: ${unread[0]}` : ''}` };
    });
    this.status = { source: 'nvidia-smi', running: true, detail: 'one nvidia-smi process, sampling every second' };
    return this.status;
  }

  stop(): TelemetryStatus {
    if (this.nvmlTimer) clearInterval(this.nvmlTimer);
    this.nvmlTimer = undefined;
    const child = this.child;
    this.child = null;
    child?.kill('SIGTERM');
    this.status = { ...this.status, running: false };
    return this.status;
  }
}
