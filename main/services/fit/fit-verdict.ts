import type { FitFigure } from '../../../contract/domains/fit';
import type { RunManifest } from '../../ports/run-manifest';

export type { FitFigure };

/**
 * "Will this machine earn?" from what the fit test measured and what the run
 * asks. Pure arithmetic, so every branch of the answer is pinned by a test;
 * fit-test.ts does the measuring.
 *
 * The run's rhythm (docs/PROTOCOL.md): a peer trains `innerSteps` steps in a
 * window, compresses, and must have its update in its bucket before the
 * window's end plus `uploadDeadlineSeconds`; the next window it gathers up to
 * `gatherPeers` updates while training again, for at most `gatherCapSeconds`.
 */

/** What the fit test measured on this machine. Any part it could not measure is null. */
export interface FitMeasurement {
  /** The memory the model would use on the device that trains, and what that device has. */
  memory: { neededBytes: number; availableBytes: number; device: string; measured: boolean } | null;
  /** Seconds per inner step at the run's batch size, after the first (warm-up) step. */
  secondsPerInnerStep: number | null;
  /** Seconds to compress one window's update (top-k, quantize, encode). */
  compressSeconds: number | null;
  /**
   * Seconds a whole window of the run's inner steps took, from the command
   * to the written update, when a trial of the run measured whole windows
   * (the devnet's): what a joined peer's training phase measures, set-up and
   * first step included. Absent or null when only a few steps were timed.
   */
  windowSeconds?: number | null;
  /** The size of one real update. */
  payloadBytes: number | null;
  /** Seconds to put one update into this peer's bucket. */
  uploadSeconds: number | null;
  /** Seconds to fetch `gatherOf` updates at once from the bucket (a gather). */
  gatherSeconds: number | null;
  /** How many updates that gather fetched: the run's gather peers, or the other peers when fewer. */
  gatherOf: number | null;
  /** Registered peers on the subnet now. */
  peers: number | null;
}

/** What the run asks, from its manifest (the chain confirms the subnet and counts the peers). */
export interface FitRun {
  innerSteps: number;
  windowSeconds: number;
  uploadDeadlineSeconds: number;
  gatherCapSeconds: number;
  gatherPeers: number;
}

export function fitRunOf(manifest: RunManifest): FitRun {
  const w = manifest.windows;
  return {
    innerSteps: manifest.sparseloco.innerSteps,
    windowSeconds: w.blocksPerWindow * w.blockSeconds,
    uploadDeadlineSeconds: w.uploadDeadlineSeconds,
    gatherCapSeconds: w.gatherCapSeconds,
    gatherPeers: w.gatherPeers,
  };
}

/** The three answers, as the contract's FitReport names them. */
export type FitOutcome = 'will-earn' | 'will-earn-less' | 'cannot-keep-up';

export interface FitVerdict {
  outcome: FitOutcome;
  /** One sentence: "will earn", "will earn less because …", "cannot keep up because …". */
  headline: string;
  figures: FitFigure[];
  /** This peer's expected share of a window's work, against a median peer that does the whole window (1). */
  shareOfMedian: number | null;
  /** What to change, one line each. */
  advice: string[];
}

/** Below this share of its limit a figure is comfortable; above it, a slower moment (another program, a busy link) tips it over. */
export const COMFORT_SHARE = 0.8;
/** The memory a device keeps free of the model: drivers, fragmentation, the OS. */
export const MEMORY_MARGIN = 0.1;

export function fitVerdict(m: FitMeasurement, run: FitRun): FitVerdict {
  const figures: FitFigure[] = [];
  const hard: string[] = [];
  const soft: string[] = [];
  const advice: string[] = [];

  if (m.memory) {
    const limit = m.memory.availableBytes * (1 - MEMORY_MARGIN);
    const ok = m.memory.neededBytes <= limit;
    figures.push({ name: 'memory', label: `memory on ${m.memory.device}`, predicted: m.memory.neededBytes, limit, unit: 'bytes', ok });
    if (!ok) {
      hard.push(`memory: the model needs ${gib(m.memory.neededBytes)} but ${m.memory.device} has ${gib(limit)} to give it`);
      advice.push('Add GPUs to share the model (FSDP), or choose a run with a smaller model.');
    }
  }

  // Training must end early enough that the update still reaches the bucket by the deadline.
  const train = m.windowSeconds ?? (m.secondsPerInnerStep === null ? null : m.secondsPerInnerStep * run.innerSteps + (m.compressSeconds ?? 0));
  const trainLimit = run.windowSeconds;
  if (train !== null) {
    const ok = train <= trainLimit;
    figures.push({ name: 'training', label: `${run.innerSteps} inner steps and compression`, predicted: train, limit: trainLimit, unit: 'seconds', ok });
  }
  const upload = m.uploadSeconds;
  const uploadLimit = run.uploadDeadlineSeconds;
  if (upload !== null) figures.push({ name: 'upload', label: 'upload of one update', predicted: upload, limit: uploadLimit, unit: 'seconds', ok: upload <= uploadLimit });

  // The share of windows this peer's update makes it in time, if training is the slower part.
  let share: number | null = null;
  if (train !== null) {
    const perWindow = train + (upload ?? 0);
    const allowed = run.windowSeconds + run.uploadDeadlineSeconds;
    // A peer slower than a window trains every ceil(perWindow / window)-th window (it cannot start the next before this one ends).
    share = perWindow <= allowed ? 1 : 1 / Math.ceil(perWindow / run.windowSeconds);
    if (perWindow > allowed) {
      hard.push(`training: ${run.innerSteps} inner steps take ${secs(train)}${upload !== null ? ` and the upload ${secs(upload)}` : ''}, but a window gives ${secs(run.windowSeconds)} plus ${secs(run.uploadDeadlineSeconds)} to upload`);
      advice.push('Train on a faster device, or on more GPUs at once; close other programs that use it.');
    } else if (train > trainLimit) {
      soft.push(`training runs ${secs(train - trainLimit)} past the window's end, into the upload deadline`);
      advice.push('Any slowdown now costs the window: free the device of other work, or add a GPU.');
    } else if (train > trainLimit * COMFORT_SHARE) {
      soft.push(`training uses ${Math.round((train / trainLimit) * 100)} % of the window, little room for a slower moment`);
    }
  }
  if (upload !== null && upload > uploadLimit) {
    hard.push(`upload: one update takes ${secs(upload)} to reach your bucket, after the ${secs(uploadLimit)} deadline`);
    advice.push('Use a bucket in a region near you, or a faster upload link.');
  } else if (upload !== null && upload > uploadLimit * COMFORT_SHARE) {
    soft.push(`the upload takes ${Math.round((upload / uploadLimit) * 100)} % of the deadline`);
    advice.push('A bucket nearer to you leaves more room before the upload deadline.');
  }

  const gather = m.gatherSeconds;
  if (gather !== null) {
    const ok = gather <= run.gatherCapSeconds;
    figures.push({ name: 'gather', label: `gather of ${m.gatherOf ?? run.gatherPeers} updates`, predicted: gather, limit: run.gatherCapSeconds, unit: 'seconds', ok });
    if (!ok) {
      soft.push(`a gather takes ${secs(gather)}, past the ${secs(run.gatherCapSeconds)} cap: some peers' updates will be missing from your model`);
      advice.push('A faster download link, or a bucket in a region nearer the other peers.');
    }
  }

  const outcome: FitOutcome = hard.length > 0 ? 'cannot-keep-up' : soft.length > 0 ? 'will-earn-less' : 'will-earn';
  // "cannot keep up: memory, upload" first, so the reason's name is what the eye lands on; each figure follows.
  const topics = [...new Set(hard.map((h) => h.slice(0, h.indexOf(':'))))];
  const headline = outcome === 'cannot-keep-up' ? `cannot keep up: ${topics.join(', ')} (${hard.map((h) => h.slice(h.indexOf(':') + 2)).join('; ')})` : outcome === 'will-earn-less' ? `will earn less because ${soft.join('; ')}` : 'will earn';
  return { outcome, headline, figures, shareOfMedian: hard.some((h) => h.startsWith('memory')) ? 0 : share, advice: [...new Set(advice)] };
}

const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const secs = (s: number) => (s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`);
