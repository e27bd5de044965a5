import { z } from 'zod';
import { NoParams } from './app';

/** One round of the earnings ledger: what happened and what it paid. */
export const EarningsRow = z.object({
  window: z.number().int().nonnegative(),
  /** Epoch ms of the round's last ledger line. */
  at: z.number(),
  trained: z.boolean(),
  uploaded: z.boolean(),
  applied: z.boolean(),
  /** The validator's score for this round, when known. */
  score: z.number().nullable(),
  /** This peer's weight (incentive, 0–1) at the epoch that paid the round. */
  weight: z.number().nullable(),
  /** Reward in rao (decimal string); "0" for nothing, null while the epoch has not paid yet. */
  reward: z.string().regex(/^\d+$/).nullable(),
  /** Why the round earned nothing (always set when reward is "0"). */
  reason: z.string().nullable(),
  /** Energy this machine drew in the round (Wh) and what measured it; null when nothing did. */
  energyWh: z.number().nonnegative().nullable(),
  energySource: z.enum(['gpu', 'cpu', 'gpu+cpu', 'setting']).nullable(),
  /** energyWh at the user's electricity price, in their currency; null without a price or a measurement. */
  cost: z.number().nonnegative().nullable(),
});
export type EarningsRow = z.infer<typeof EarningsRow>;

export const EarningsReport = z.object({
  rows: z.array(EarningsRow),
  /** Sum of the rows' rewards, rao. */
  ledgerTotal: z.string(),
  /** What the chain paid this peer over the same epochs, rao; null when the chain was not read. */
  chainTotal: z.string().nullable(),
  /** ledgerTotal equals chainTotal. */
  reconciled: z.boolean().nullable(),
  pendingRounds: z.number().int().nonnegative(),
  /** The cost ledger over every round of the ledger (not only the rows returned). */
  costs: z.object({
    currency: z.string(),
    pricePerKWh: z.number().nullable(),
    energyWh: z.number().nonnegative(),
    cost: z.number().nonnegative().nullable(),
    /** The user's τ price in `currency` (CostSettings.taoPrice); null when none is set. */
    taoPrice: z.number().positive().nullable(),
    /** What the rewards are worth at that price, in `currency`; null without a price. */
    earnedValue: z.number().nonnegative().nullable(),
    /** Per calendar day (UTC) of the rounds: what they earned (rao, and at the τ price), and what their energy cost. */
    days: z.array(
      z.object({
        day: z.string(),
        reward: z.string().regex(/^\d+$/),
        earnedValue: z.number().nonnegative().nullable(),
        energyWh: z.number().nonnegative(),
        cost: z.number().nonnegative().nullable(),
      }),
    ),
    /** What one τ must be worth, in the user's currency, for the rewards to pay for the energy; null until both are known. */
    breakEvenPerTao: z.number().nonnegative().nullable(),
  }),
});
export type EarningsReport = z.infer<typeof EarningsReport>;

export const earningsMethods = {
  'earnings.report': { params: z.object({ limit: z.number().int().min(1).max(100_000).default(1000) }).strict(), result: EarningsReport },
  'earnings.exportCsv': { params: NoParams, result: z.object({ filename: z.string(), csv: z.string() }) },
} as const;

export const earningsEvents = {} as const;
