import { z } from 'zod';
import { ContractErrorBody } from './errors';

/**
 * The three envelopes that travel over every bridge (Electron IPC, WebSocket,
 * HTTP). Payloads are validated separately against the method/event tables so
 * an error can say which layer was wrong.
 */
export const PROTOCOL_VERSION = 1;

export const RequestId = z.string().min(1).max(64);

export const RequestEnvelope = z
  .object({
    kind: z.literal('request'),
    id: RequestId,
    method: z.string().min(1).max(128),
    params: z.unknown().optional(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const ResponseEnvelope = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: RequestId.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: RequestId.nullable(), ok: z.literal(false), error: ContractErrorBody }),
]);
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

export const EventEnvelope = z.object({
  kind: z.literal('event'),
  event: z.string().min(1).max(128),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** Anything the core may send down a stream. */
export const ServerMessage = z.union([ResponseEnvelope, EventEnvelope]);
export type ServerMessage = z.infer<typeof ServerMessage>;
