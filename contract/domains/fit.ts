import { z } from 'zod';
import { NoParams } from './app';

/**
 * "Will this machine earn?": the fit test of the set-up guide and `tandem fit`.
 * A few real inner steps of the run's model, a real update put into and
 * gathered from this peer's bucket, the subnet's peers counted, and the answer;
 * on the embedded devnet, which shares this computer, a short trial of it.
 */
export const FitFigure = z.object({
  name: z.enum(['memory', 'training', 'upload', 'gather']),
  label: z.string(),
  predicted: z.number().nullable(),
  limit: z.number().nullable(),
  unit: z.enum(['bytes', 'seconds']),
  ok: z.boolean().nullable(),
});
export type FitFigure = z.infer<typeof FitFigure>;

/** A figure in words, the same in the guide and in `tandem fit`: seconds as s or ms, bytes as KiB, MiB or GiB; null as a dash. */
export function formatFitFigure(value: number | null, unit: FitFigure['unit']): string {
  if (value === null) return '—';
  if (unit === 'seconds') return value >= 10 ? `${Math.round(value)} s` : value >= 0.1 ? `${value.toFixed(1)} s` : `${Math.round(value * 1000)} ms`;
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(1)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${(value / 1024).toFixed(1)} KiB`;
}

export const FitReport = z.object({
  network: z.string(),
  runName: z.string(),
  outcome: z.enum(['will-earn', 'will-earn-less', 'cannot-keep-up']),
  /** "will earn", "will earn less because …", "cannot keep up: …". */
  headline: z.string(),
  figures: z.array(FitFigure),
  /** This peer's expected share of a window's work against the median peer (1 = the same). */
  shareOfMedian: z.number().nullable(),
  advice: z.array(z.string()),
  /** What was not measured, and why. */
  notes: z.array(z.string()),
  trainedOn: z.string(),
  secondsPerInnerStep: z.number().nullable(),
  payloadBytes: z.number().nullable(),
  peers: z.number().nullable(),
  measuredAt: z.string(),
});
export type FitReport = z.infer<typeof FitReport>;

export const FitPart = z.enum(['memory', 'training', 'upload', 'gather', 'peers', 'trial']);
export type FitPart = z.infer<typeof FitPart>;

/** What each part of the fit test is doing, in the words the guide's progress line and `tandem fit` both show. */
export const FIT_PART_WORDS: Record<FitPart, string> = {
  memory: 'Sizing the model against this machine\u2019s memory',
  training: 'Training a few real inner steps of the run\u2019s model',
  peers: 'Counting the subnet\u2019s peers',
  upload: 'Uploading one real update to your bucket',
  gather: 'Gathering it as from every peer at once',
  trial: 'Running a short trial of the devnet on this computer, with its peers and validator',
};

export const FitProgress = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('running'), part: FitPart, done: z.number().int().nonnegative(), of: z.number().int().positive() }),
  z.object({ phase: z.literal('finished'), report: FitReport }),
  z.object({ phase: z.literal('failed'), message: z.string() }),
]);
export type FitProgress = z.infer<typeof FitProgress>;

export const fitMethods = {
  /** Starts the fit test for the network in Settings (answers at once; progress and the answer arrive as `fit.progress`). */
  'fit.start': { params: NoParams, result: z.object({ started: z.boolean() }) },
  /** The last answer, for the network in Settings; null before any. */
  'fit.last': { params: NoParams, result: FitReport.nullable() },
} as const;

export const fitEvents = {
  'fit.progress': FitProgress,
} as const;
