import { z } from 'zod';
import { NoParams } from './app';

export const NotificationKind = z.enum(['missed-round', 'failed-check', 'crash-loop', 'low-balance', 'throttled', 'schedule']);
export type NotificationKind = z.infer<typeof NotificationKind>;

/** Something a person should know even when the window is closed (desktop notification, headless banner). */
export const AppNotification = z.object({
  id: z.number().int().nonnegative(),
  at: z.number(),
  kind: NotificationKind,
  severity: z.enum(['info', 'warning', 'error']),
  title: z.string(),
  body: z.string(),
  read: z.boolean(),
});
export type AppNotification = z.infer<typeof AppNotification>;

export const notificationMethods = {
  'notifications.list': { params: NoParams, result: z.array(AppNotification) },
  'notifications.markRead': { params: z.object({ ids: z.array(z.number().int().nonnegative()).max(1000) }).strict(), result: z.array(AppNotification) },
} as const;

export const notificationEvents = {
  notification: AppNotification,
} as const;
