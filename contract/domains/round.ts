import { z } from 'zod';
import { TrainerPhase } from '../state';
import { NoParams } from './app';

/** One phase of the current window as it happened (or is happening). */
export const PhaseSpan = z.object({
  phase: TrainerPhase,
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** When this phase must be over (upload deadline, gather cap), if it has one. */
  deadline: z.number().nullable(),
});
export type PhaseSpan = z.infer<typeof PhaseSpan>;

export const LossPoint = z.object({ window: z.number().int(), step: z.number().int(), loss: z.number() });
export type LossPoint = z.infer<typeof LossPoint>;

export const RoundSummary = z.object({
  window: z.number().int(),
  phases: z.array(z.string()),
  phaseSeconds: z.record(z.string(), z.number()),
  bytesUp: z.number(),
  bytesDown: z.number(),
  loss: z.number().optional(),
  score: z.number().optional(),
  weight: z.number().optional(),
  reward: z.string().optional(),
  reason: z.string().optional(),
  /** The model's digest after this window's outer step: peers that hold the same model show the same. */
  modelDigest: z.string().optional(),
  firstAt: z.number(),
  lastAt: z.number(),
});
export type RoundSummary = z.infer<typeof RoundSummary>;

/** The live round as the Dashboard shows it. */
export const RoundState = z.object({
  joined: z.boolean(),
  /** devnet, test, finney or a URL. */
  network: z.string(),
  window: z.number().int().nullable(),
  block: z.number().int().nullable(),
  /** Share of the window elapsed, from the chain's blocks. */
  windowProgress: z.number().min(0).max(1),
  /** Epoch ms when the current window ends, estimated from the block time. */
  windowEndsAt: z.number().nullable(),
  phase: TrainerPhase,
  timeline: z.array(PhaseSpan),
  innerStep: z.number().int().nonnegative(),
  innerSteps: z.number().int().nonnegative(),
  etaSeconds: z.number().nullable(),
  tokensPerSecond: z.number().nullable(),
  loss: z.number().nullable(),
  /** Recent inner-step losses, oldest first, bounded. */
  lossHistory: z.array(LossPoint),
  completedRounds: z.number().int().nonnegative(),
  lastRound: RoundSummary.nullable(),
  /** Why the app is not training, in words, when it is not. */
  blocker: z.string().nullable(),
});
export type RoundState = z.infer<typeof RoundState>;

export const roundMethods = {
  'round.get': { params: NoParams, result: RoundState },
  'round.join': { params: NoParams, result: RoundState },
  'round.leave': {
    params: z.object({ when: z.enum(['now', 'after-round']).default('after-round') }).strict(),
    result: RoundState,
  },
  'round.history': {
    params: z.object({ limit: z.number().int().min(1).max(10_000).default(200) }).strict(),
    result: z.array(RoundSummary),
  },
} as const;

export const roundEvents = {
  round: RoundState,
} as const;
