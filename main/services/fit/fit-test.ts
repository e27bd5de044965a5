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
import { estimateMemoryFit, parameterCount, STATIC_BYTES_PER_PARAM, activationBytesPerSequence } from '../hardware/memory-fit';
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

/**
 * Trainers that share this computer once joined, one CPU thread each. A peer
 * trains its window beside ours and then rests until the next; a validator
 * works through the whole window, as it judges the previous window's updates
 * while everyone trains this one (on the devnet: 8-15 s of a 15 s window,
 * from the third window on).
 */
export interface TrainersBeside {
  peers: number;
  validators: number;
  /** Who they are, for the note: "the devnet's 3 simulated peers and its validator". */
  who: string;
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
   * Other trainers that will share this computer's CPU once joined (the
   * embedded devnet's simulated peers and validator): a whole window of the
   * run's steps, and the upload and gather after it, are timed beside as
   * many, working as they will in the run.
   */
  alongside?: TrainersBeside;
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
const PARTS: FitPart[] = ['memory', 'training', 'upload', 'gather', 'peers'];

export async function runFitTest(options: FitTestOptions): Promise<FitResult> {
  const { manifest, device } = options;
  const run = fitRunOf(manifest);
  const notes: string[] = [];
  const measurement: FitMeasurement = { memory: null, secondsPerInnerStep: null, compressSeconds: null, payloadBytes: null, uploadSeconds: null, gatherSeconds: null, gatherOf: null, peers: null };
  const progress = (part: FitPart) => options.onProgress?.(part, PARTS.indexOf(part), PARTS.length);
  const finish = (): FitResult => ({ run, measurement, verdict: fitVerdict(measurement, run), notes, measuredAt: new Date().toISOString(), trainedOn: device.gpus.length > 0 && !device.simulated ? device.gpus[0]!.name : 'CPU' });

  progress('memory');
  measurement.memory = predictedMemory(manifest, device);
  // A model that cannot fit is answered before anything runs: nothing to measure, nothing to pay for.
  if (measurement.memory.neededBytes > measurement.memory.availableBytes * (1 - MEMORY_MARGIN)) {
    notes.push('training was not tried: the model cannot fit in memory');
    return finish();
  }

  progress('training');
  const beside = options.alongside;
  if (beside && beside.peers + beside.validators > 0) {
    notes.push(`a whole window trained, and the update put and gathered, beside ${beside.who} (${beside.peers + beside.validators} trainers, one CPU thread each; the validator busy throughout), which share this computer once joined`);
  }
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tandem-fit-'));
  const shards = shardsOf(options, work);
  const neighbours = await startAlongside(options, shards, work);
  try {
    const trained = await timeInnerSteps(options, shards, work, Math.max(2, options.measureSteps ?? DEFAULT_MEASURE_STEPS), neighbours);
    measurement.secondsPerInnerStep = trained.secondsPerInnerStep;
    measurement.compressSeconds = trained.compressSeconds;
    measurement.windowSeconds = trained.windowSeconds;
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
    } else if (!beside) notes.push('peers not counted: no chain to ask');

    if (options.storage) {
      // The devnet's peers are known before its chain runs: this one and its simulated ones.
      measurement.gatherOf = gatherCount(run, measurement.peers ?? (beside ? beside.peers + 1 : null));
      const timed = await timeBucket(options.storage, trained.payload, measurement.gatherOf, progress).catch((error: unknown) => {
        notes.push(`upload and gather not timed: ${(error as Error).message}`);
        return null;
      });
      if (timed) Object.assign(measurement, timed);
    } else notes.push('upload and gather not timed: no bucket set up yet (Settings → Storage, or tandem storage set)');
  } finally {
    await neighbours.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
  return finish();
}

/** How many updates a gather fetches: the run's gather peers, or fewer when the subnet has fewer other peers. */
export function gatherCount(run: FitRun, peers: number | null): number {
  return Math.max(1, Math.min(run.gatherPeers, peers === null ? run.gatherPeers : peers - 1));
}

/**
 * The memory the run's model needs on its device, and what the device has.
 * GPUs: weights, gradients and optimizer state shared over the GPUs plus one
 * checkpointed sequence, against the smallest card (memory-fit.ts). CPU:
 * weights and state plus a batch of activations, against free RAM now.
 */
export function predictedMemory(manifest: RunManifest, device: FitDevice): NonNullable<FitMeasurement['memory']> {
  const model = manifest.model;
  if (device.gpus.length > 0) {
    const smallest = device.gpus.reduce((a, b) => (b.vramBytes < a.vramBytes ? b : a));
    const fit = estimateMemoryFit({ model, gpus: device.gpus.length, vramPerGpuBytes: smallest.vramBytes });
    const name = `${device.gpus.length > 1 ? `each of ${device.gpus.length} × ` : ''}${smallest.name}`;
    return { neededBytes: fit.staticBytesPerGpu + fit.activationBytesPerSequenceCheckpointed, availableBytes: smallest.vramBytes, device: name, measured: false };
  }
  const needed = parameterCount(model) * STATIC_BYTES_PER_PARAM + manifest.optimizer.batchSize * activationBytesPerSequence(model, false);
  return { neededBytes: needed, availableBytes: os.freemem(), device: 'this computer (RAM)', measured: false };
}

interface TimedSteps {
  secondsPerInnerStep: number;
  compressSeconds: number;
  /** The whole window's seconds, when the steps timed were a whole window of the run's. */
  windowSeconds: number | null;
  payload: Uint8Array;
  peakMemoryBytes: number | null;
}

/** Runs one short window of the run's model in the real trainer and times its steps and its compression. */
async function timeInnerSteps(options: FitTestOptions, shards: string, work: string, steps: number, neighbours: Neighbours): Promise<TimedSteps> {
  const gpus = options.device.simulated ? 0 : options.device.gpus.length;
  const device: TrainerDevice = gpus === 0 ? { backend: 'cpu' } : gpus === 1 ? { backend: 'cuda' } : { backend: 'cuda', devices: Array.from({ length: gpus }, (_, i) => i) };
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
  // Beside other trainers, a whole window of the run's steps, begun with theirs as in the run.
  const innerSteps = neighbours.count > 0 ? Math.max(steps, options.manifest.sparseloco.innerSteps) : steps;
  trainer.start();
  try {
    const payloadFile = path.join(work, 'update.bin');
    await trainer.appliedWindow();
    neighbours.begin();
    const began = performance.now();
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
      windowSeconds: innerSteps === options.manifest.sparseloco.innerSteps ? (done - began) / 1000 : null,
      payload: new Uint8Array(await fs.readFile(payloadFile)),
      peakMemoryBytes,
    };
  } finally {
    await trainer.stop(5_000);
  }
}

/** The corpus is text: the trainer's own tokenizer turns it into shards first, as for the devnet; every trainer of the test reads them. */
function shardsOf(options: FitTestOptions, work: string): string {
  const shards = path.join(work, 'shards');
  ensureShards(options.trainerExecutable, options.corpusDir, shards);
  return shards;
}

interface Neighbours {
  count: number;
  begin(): void;
  stop(): Promise<void>;
}

/**
 * The trainers that will share this CPU once joined, loaded and ready to
 * train. begin() sets them working as in the run: each peer trains one window
 * of the run's inner steps and rests; each validator trains window after
 * window until stop(), the same one busy thread as its judging (forward
 * passes of every update). stop() ends them; a window still running ends in
 * an error nobody waits for.
 */
async function startAlongside(options: FitTestOptions, shards: string, work: string): Promise<Neighbours> {
  const beside = options.alongside ?? { peers: 0, validators: 0 };
  const count = beside.peers + beside.validators;
  if (count === 0) return { count, begin: () => {}, stop: async () => {} };
  const trainers = Array.from({ length: count }, (_, i) =>
    runTrainer({
      manifest: options.manifest,
      executable: options.trainerExecutable,
      dataDir: shards,
      checkpointFile: path.join(work, `alongside-${i}.ckpt`),
      peerId: `fit-alongside-${i}`,
      logger: options.logger.child({ alongside: i }),
      threads: 1,
    }),
  );
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await Promise.all(trainers.map((t) => t.stop(1_000)));
  };
  try {
    for (const t of trainers) t.start();
    await Promise.all(trainers.map((t) => t.appliedWindow()));
  } catch (error) {
    await stop();
    throw error;
  }
  const trainOneWindow = (i: number, window: number) =>
    trainers[i]!.trainWindow({ window, innerSteps: options.manifest.sparseloco.innerSteps, peerUid: i + 1, payloadFile: path.join(work, `alongside-${i}.bin`) }, () => {});
  const keepBusy = async (i: number) => {
    for (let window = 0; !stopped; window++) await trainOneWindow(i, window);
  };
  const begin = () => {
    trainers.forEach((_, i) => void (i < beside.peers ? trainOneWindow(i, 0) : keepBusy(i)).catch(() => {}));
  };
  return { count, begin, stop };
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
