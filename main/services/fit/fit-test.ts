import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FitPart } from '../../../contract/domains/fit';
import { runTrainer, type TrainerDevice } from '../../adapters/trainer/trainer-config';
import type { Logger } from '../../core/logging/logger';
import { median } from '../../core/median';
import type { ChainPort } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import { planCpuMemory } from '../hardware/cpu-memory-plan';
import { estimateMemoryFit } from '../hardware/memory-fit';
import { encodeSyncReport } from '../round/sync-report';
import { ensureShards } from '../run/local-shards';
import { fitRunOf, fitVerdict, MEMORY_MARGIN, type FitMeasurement, type FitRun, type FitVerdict } from './fit-verdict';

/**
 * The fit test: before a person pays to register, run a few real inner steps
 * of the run's model here, encode a real update, time its upload and a
 * gather against this peer's own bucket, count the subnet's peers, and say
 * whether this machine can keep up (fit-verdict.ts).
 *
 * It trains on the bundled corpus whatever the run's data: speed and memory
 * depend on the model and the batch, not on which tokens are in it.
 */

/** The GPUs the run would train on; none means the CPU trains. `simulated` marks TANDEM_SIMULATE_GPU's card. */
export interface FitDevice {
  gpus: Array<{ name: string; vramBytes: number }>;
  simulated: boolean;
}

/** One window of a trial run, from this machine's round ledger. */
export interface FitTrialWindow {
  window: number;
  /** The training phase: the command to the written update, as a joined peer's ledger counts it. */
  trainingSeconds: number;
  uploadSeconds: number;
  /** The gather's download time, apart from its wait for the others' uploads. */
  gatherSeconds: number;
  payloadBytes: number;
}

/**
 * A short trial of the run itself on this computer, where the run's other
 * actors share it (the embedded devnet: devnet-trial.ts). Its windows are
 * the measurement: nothing else stands in as faithfully for neighbours that
 * share this machine's cores and its node process.
 */
export interface FitTrial {
  windows: FitTrialWindow[];
  /** How many updates each gather fetched. */
  gatherOf: number;
  peers: number;
  /** What was tried, for the note. */
  who: string;
}

export interface FitTrialOptions {
  threads?: number;
  device: TrainerDevice;
  onWindow(trained: number, of: number): void;
}

export interface FitTestOptions {
  manifest: RunManifest;
  device: FitDevice;
  trainerExecutable: string;
  /** The bundled text corpus the trainer tokenizes and trains on. */
  corpusDir: string;
  logger: Logger;
  /** This peer's bucket; null skips the upload and gather timings (and says so). */
  storage: StoragePort | null;
  /** The run's chain and subnet, to count its peers; null skips it. */
  chain: { port: ChainPort; netuid: number } | null;
  /** CPU threads for this machine's trainer (Settings → limits); the trainer's default when absent. */
  threads?: number;
  /**
   * A trial of the run on this computer, for a run whose other actors share
   * it (the embedded devnet): when given, its windows are measured instead of
   * a few steps and a bucket timed on their own.
   */
  trial?(options: FitTrialOptions): Promise<FitTrial>;
  /** Inner steps to time (the first is a warm-up and is not counted). Default 5. */
  measureSteps?: number;
  /** Called as each part starts, for progress lines and the guide's progress bar. */
  onProgress?(part: FitPart, done: number, of: number): void;
}

export type { FitPart };

export interface FitResult {
  run: FitRun;
  measurement: FitMeasurement;
  verdict: FitVerdict;
  /** What was not measured, or was measured in the joined run's conditions, and why. */
  notes: string[];
  measuredAt: string;
  /** The device that trained the measured steps (the CPU when no CUDA device trains). */
  trainedOn: string;
}

const DEFAULT_MEASURE_STEPS = 5;
/** The parts of a fit on its own, in order (a trial's progress counts its windows instead). */
const PARTS: FitPart[] = ['memory', 'training', 'upload', 'gather', 'peers'];

export async function runFitTest(options: FitTestOptions): Promise<FitResult> {
  const { manifest, device } = options;
  const run = fitRunOf(manifest);
  const notes: string[] = [];
  const measurement: FitMeasurement = { memory: null, secondsPerInnerStep: null, compressSeconds: null, payloadBytes: null, uploadSeconds: null, gatherSeconds: null, gatherOf: null, peers: null };
  // A trial has two parts, the memory and the trial (whose windows it counts); a fit on its own has five.
  const progress = (part: FitPart) => options.onProgress?.(part, PARTS.indexOf(part), options.trial ? 2 : PARTS.length);
  const finish = (): FitResult => ({ run, measurement, verdict: fitVerdict(measurement, run), notes, measuredAt: new Date().toISOString(), trainedOn: device.gpus.length > 0 && !device.simulated ? device.gpus[0]!.name : 'CPU' });

  progress('memory');
  measurement.memory = predictedMemory(manifest, device);
  // A model that cannot fit is answered before anything runs: nothing to measure, nothing to pay for.
  if (measurement.memory.neededBytes > measurement.memory.availableBytes * (1 - MEMORY_MARGIN)) {
    notes.push('training was not tried: the model cannot fit in memory');
    return finish();
  }

  const trainerDevice = trainerDeviceOf(device);
  if (options.trial) {
    // The trial is most of the fit's time: its progress counts its windows (after the memory part, before the answer).
    const trialProgress = (trained: number, of: number) => options.onProgress?.('trial', 1 + trained, 2 + of);
    options.onProgress?.('trial', 1, 2);
    const trial = await options.trial({ device: trainerDevice, ...(options.threads === undefined ? {} : { threads: options.threads }), onWindow: trialProgress });
    Object.assign(measurement, measurementOfTrial(trial));
    notes.push(`measured in ${trial.who}`);
    if (device.gpus.length === 0) notes.push('memory predicted from the model (the trial\'s trainer ran inside the run)');
    return finish();
  }
  progress('training');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tandem-fit-'));
  try {
    const shards = path.join(work, 'shards');
    // The corpus is text: the trainer's own tokenizer turns it into shards first, as for the devnet.
    ensureShards(options.trainerExecutable, options.corpusDir, shards);
    const trained = await timeInnerSteps(options, trainerDevice, shards, work, Math.max(2, options.measureSteps ?? DEFAULT_MEASURE_STEPS));
    measurement.secondsPerInnerStep = trained.secondsPerInnerStep;
    measurement.compressSeconds = trained.compressSeconds;
    measurement.payloadBytes = trained.payload.byteLength;
    // On the CPU the trainer's own resident memory is the measurement; a GPU's is predicted (this machine's trainer ran on the CPU).
    if (device.gpus.length === 0 && trained.peakMemoryBytes !== null) measurement.memory = { ...measurement.memory, neededBytes: trained.peakMemoryBytes, measured: true };

    if (options.chain) {
      progress('peers');
      try {
        measurement.peers = (await options.chain.port.metagraph(options.chain.netuid)).neurons.length;
      } catch (error) {
        notes.push(`peers not counted: ${(error as Error).message}`);
      }
    } else notes.push('peers not counted: no chain to ask');

    if (options.storage) {
      measurement.gatherOf = gatherCount(run, measurement.peers);
      const timed = await timeBucket(options.storage, trained.payload, measurement.gatherOf, progress).catch((error: unknown) => {
        notes.push(`upload and gather not timed: ${(error as Error).message}`);
        return null;
      });
      if (timed) Object.assign(measurement, timed);
    } else notes.push('upload and gather not timed: no bucket set up yet (Settings → Storage, or tandem storage set)');
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  return finish();
}

/** How many updates a gather fetches: the run's gather peers, or fewer when the subnet has fewer other peers. */
export function gatherCount(run: FitRun, peers: number | null): number {
  return Math.max(1, Math.min(run.gatherPeers, peers === null ? run.gatherPeers : peers - 1));
}

/** What a fit names the memory of a machine that trains on its CPU. */
export const CPU_MEMORY_DEVICE = 'this computer (RAM)';

/**
 * The memory the run's model needs on its device, and what the device has.
 * GPUs: weights, gradients and optimizer state shared over the GPUs plus one
 * checkpointed sequence, against the smallest card (memory-fit.ts). CPU:
 * what the trainer's steps hold by its own plan (fp32 state and one
 * micro-batch of activations, cpu-memory-plan.ts), against free RAM now.
 */
export function predictedMemory(manifest: RunManifest, device: FitDevice): NonNullable<FitMeasurement['memory']> {
  const model = manifest.model;
  if (device.gpus.length > 0) {
    const smallest = device.gpus.reduce((a, b) => (b.vramBytes < a.vramBytes ? b : a));
    const fit = estimateMemoryFit({ model, gpus: device.gpus.length, vramPerGpuBytes: smallest.vramBytes });
    const name = `${device.gpus.length > 1 ? `each of ${device.gpus.length} × ` : ''}${smallest.name}`;
    return { neededBytes: fit.staticBytesPerGpu + fit.activationBytesPerSequenceCheckpointed, availableBytes: smallest.vramBytes, device: name, measured: false };
  }
  const available = os.freemem();
  const plan = planCpuMemory(model, { seqLen: model.sequenceLength, batchSize: manifest.optimizer.batchSize, availableBytes: available });
  return { neededBytes: plan.stepBytes, availableBytes: available, device: CPU_MEMORY_DEVICE, measured: false };
}

interface TimedSteps {
  secondsPerInnerStep: number;
  compressSeconds: number;
  payload: Uint8Array;
  peakMemoryBytes: number | null;
}

/** Runs one short window of the run's model in the real trainer and times its steps and its compression. */
async function timeInnerSteps(options: FitTestOptions, device: TrainerDevice, shards: string, work: string, innerSteps: number): Promise<TimedSteps> {
  const trainer = runTrainer({
    manifest: options.manifest,
    executable: options.trainerExecutable,
    dataDir: shards,
    checkpointFile: path.join(work, 'fit.ckpt'),
    peerId: 'fit-test',
    logger: options.logger,
    device,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  const stepTimes: number[] = [];
  let peakMemoryBytes: number | null = null;
  trainer.start();
  try {
    const payloadFile = path.join(work, 'update.bin');
    await trainer.appliedWindow();
    await trainer.trainWindow({ window: 0, innerSteps, peerUid: 0, payloadFile }, (step) => {
      stepTimes.push(performance.now());
      if (step.memoryBytes !== undefined) peakMemoryBytes = Math.max(peakMemoryBytes ?? 0, step.memoryBytes);
    });
    const done = performance.now();
    if (stepTimes.length < 2) throw new Error(`the trainer reported ${stepTimes.length} step(s) of ${innerSteps}`);
    return {
      // The first step pays for warm-up (allocation, caches); the steps after it are the steady pace.
      secondsPerInnerStep: (stepTimes.at(-1)! - stepTimes[0]!) / 1000 / (stepTimes.length - 1),
      compressSeconds: (done - stepTimes.at(-1)!) / 1000,
      payload: new Uint8Array(await fs.readFile(payloadFile)),
      peakMemoryBytes,
    };
  } finally {
    await trainer.stop(5_000);
  }
}

/** The trainer's device for the fit's GPUs: the CPU when there are none, or when the card is TANDEM_SIMULATE_GPU's. */
function trainerDeviceOf(device: FitDevice): TrainerDevice {
  const gpus = device.simulated ? 0 : device.gpus.length;
  return gpus === 0 ? { backend: 'cpu' } : gpus === 1 ? { backend: 'cuda' } : { backend: 'cuda', devices: Array.from({ length: gpus }, (_, i) => i) };
}

/** A trial's figures: the median of its measured windows, each as the joined peer's ledger records it. */
export function measurementOfTrial(trial: FitTrial): Pick<FitMeasurement, 'windowSeconds' | 'payloadBytes' | 'uploadSeconds' | 'gatherSeconds' | 'gatherOf' | 'peers'> {
  if (trial.windows.length === 0) throw new Error('the trial measured no window');
  const of = (pick: (w: FitTrialWindow) => number) => median(trial.windows.map(pick));
  return {
    windowSeconds: of((w) => w.trainingSeconds),
    payloadBytes: Math.round(of((w) => w.payloadBytes)),
    uploadSeconds: of((w) => w.uploadSeconds),
    gatherSeconds: of((w) => w.gatherSeconds),
    gatherOf: trial.gatherOf,
    peers: trial.peers,
  };
}

/**
 * Uploads one real update as a joined peer does (its small sync report, the
 * update, then a HEAD for the date the store gave it, which the deadline is
 * judged by), and fetches it `gatherOf` times at once, as a gather of that
 * many peers would; then deletes it. A first put opens the connection, as a
 * joined peer's long-lived client already has; the figures are the median of
 * three tries each, as one try of a few milliseconds is mostly noise.
 */
async function timeBucket(storage: StoragePort, payload: Uint8Array, gatherOf: number, progress: (part: FitPart) => void) {
  const key = `tandem-fit/${randomBytes(8).toString('hex')}.bin`;
  const reportKey = `${key}.report`;
  const report = encodeSyncReport({ version: 1, window: 1, basedOnWindow: 0, modelDigest: randomBytes(32).toString('hex') });
  const timed = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    return (performance.now() - start) / 1000;
  };
  progress('upload');
  await storage.put(key, payload);
  try {
    const uploads: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      uploads.push(
        await timed(async () => {
          await storage.put(reportKey, report);
          await storage.put(key, payload);
          if ((await storage.head(key)) === null) throw new Error('the bucket does not list what was just put');
        }),
      );
    }
    progress('gather');
    const gathers: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      gathers.push(
        await timed(async () => {
          const copies = await Promise.all(Array.from({ length: gatherOf }, () => storage.get(key)));
          if (copies.some((c) => c === null || c.byteLength !== payload.byteLength)) throw new Error('the bucket gave back something other than what was put');
        }),
      );
    }
    return { uploadSeconds: median(uploads), gatherSeconds: median(gathers) };
  } finally {
    await storage.delete([key, reportKey]).catch(() => {});
  }
}

const TRIES = 3;
