import { z } from 'zod';
import { NoParams } from './app';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM (00:00–24:00)');

/** One weekly time window when training may run. */
export const ScheduleWindow = z
  .object({
    /** 0 = Sunday … 6 = Saturday (local time). */
    day: z.number().int().min(0).max(6),
    start: clock,
    end: clock,
  })
  .strict()
  .refine((w) => w.start < w.end, { message: 'end must be after start', path: ['end'] });
export type ScheduleWindow = z.infer<typeof ScheduleWindow>;

export const ScheduleSettings = z
  .object({
    /** Off: train whenever joined. On: only inside the windows (and the other conditions). */
    enabled: z.boolean().default(false),
    windows: z.array(ScheduleWindow).max(100).default([]),
    pauseOnBattery: z.boolean().default(true),
    /** Pause while any of these programs runs (process names, case-insensitive, e.g. "steam", "blender"). */
    pauseWhilePrograms: z.array(z.string().min(1).max(100)).max(50).default([]),
    /** When the schedule closes mid-round: finish the round (upload included), then pause. */
    finishRound: z.boolean().default(true),
  })
  .strict();
export type ScheduleSettings = z.infer<typeof ScheduleSettings>;
export const ScheduleSettingsPatch = ScheduleSettings.partial().strict();
export type ScheduleSettingsPatch = z.infer<typeof ScheduleSettingsPatch>;

export const RoundFitPrediction = z.object({
  /** When the current round should be done (window end plus upload). */
  roundEndsAt: z.number(),
  /** When the schedule closes next; null if it stays open or has already closed. */
  closesAt: z.number().nullable(),
  fits: z.boolean(),
  detail: z.string(),
});
export type RoundFitPrediction = z.infer<typeof RoundFitPrediction>;

export const ScheduleState = z.object({
  enabled: z.boolean(),
  /** Training allowed right now. */
  open: z.boolean(),
  /** Why it is closed, in words. */
  reason: z.string().nullable(),
  /** Epoch ms of the next opening or closing of the time windows. */
  nextChangeAt: z.number().nullable(),
  /** The schedule paused the run (and will resume it when it opens). */
  pausedBySchedule: z.boolean(),
  /** Closed, and the round in progress is being finished first. */
  finishingRound: z.boolean(),
  onBattery: z.boolean().nullable(),
  blockingPrograms: z.array(z.string()),
  prediction: RoundFitPrediction.nullable(),
});
export type ScheduleState = z.infer<typeof ScheduleState>;

export const scheduleMethods = {
  'schedule.get': { params: NoParams, result: ScheduleState },
  'schedule.settings': { params: NoParams, result: ScheduleSettings },
  'schedule.configure': { params: ScheduleSettingsPatch, result: ScheduleSettings },
} as const;

export const scheduleEvents = {
  schedule: ScheduleState,
} as const;
