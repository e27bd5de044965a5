import { ContractError, issuesFromZod } from './errors';
import { EventEnvelope, ResponseEnvelope, type RequestEnvelope } from './envelope';
import {
  events,
  isEventName,
  methods,
  type EventData,
  type EventName,
  type MethodName,
  type MethodParams,
  type MethodResult,
} from './methods';
import type { MessageTransport } from './bridge';

interface Pending {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (error: ContractError) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener<E extends EventName> = (data: EventData<E>) => void;

export interface ContractClientOptions {
  /** How long a request may wait for its answer. */
  timeoutMs?: number;
  /** Called for messages that fail validation, so they are visible rather than silently lost. */
  onProtocolError?: (error: ContractError, raw: unknown) => void;
}

/**
 * The UI side of the contract. It checks params before sending (so a caller bug
 * fails fast, locally), and validates every response and event against the
 * contract before anything in the UI sees it.
 */
export class ContractClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<EventName, Set<(data: unknown) => void>>();
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly onProtocolError: ((error: ContractError, raw: unknown) => void) | undefined;

  constructor(
    private readonly transport: MessageTransport,
    options: ContractClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.onProtocolError = options.onProtocolError;
    transport.setReceiver((raw) => this.receive(raw));
  }

  request<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    const checked = methods[method].params.safeParse(params);
    if (!checked.success) {
      const issues = issuesFromZod(checked.error);
      return Promise.reject(new ContractError('INVALID_PARAMS', `invalid params for ${method}`, issues));
    }
    const id = `r${this.nextId++}`;
    const envelope: RequestEnvelope = { kind: 'request', id, method, params };
    return new Promise<MethodResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ContractError('TIMEOUT', `${method} got no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      try {
        this.transport.send(envelope);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ContractError('DISCONNECTED', `could not send ${method}: ${String(error)}`));
      }
    });
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const untyped = listener as (data: unknown) => void;
    set.add(untyped);
    return () => set.delete(untyped);
  }

  /** Rejects every request still waiting, e.g. when the socket closes. */
  failPending(code: 'DISCONNECTED' | 'UNAUTHORIZED', message: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new ContractError(code, message));
      this.pending.delete(id);
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private receive(raw: unknown): void {
    const event = EventEnvelope.safeParse(raw);
    if (event.success) {
      this.receiveEvent(event.data, raw);
      return;
    }
    const response = ResponseEnvelope.safeParse(raw);
    if (!response.success) {
      this.protocolError(new ContractError('BAD_RESPONSE', 'message from core is neither a response nor an event', issuesFromZod(response.error)), raw);
      return;
    }
    const message = response.data;
    const pending = message.id === null ? undefined : this.pending.get(message.id);
    if (!pending) {
      if (!message.ok) this.protocolError(new ContractError(message.error.code, message.error.message, message.error.issues), raw);
      return;
    }
    this.pending.delete(message.id as string);
    clearTimeout(pending.timer);
    if (!message.ok) {
      pending.reject(new ContractError(message.error.code, message.error.message, message.error.issues));
      return;
    }
    const result = methods[pending.method].result.safeParse(message.result);
    if (!result.success) {
      pending.reject(new ContractError('BAD_RESPONSE', `result of ${pending.method} does not match the contract`, issuesFromZod(result.error)));
      return;
    }
    pending.resolve(result.data);
  }

  private receiveEvent(envelope: EventEnvelope, raw: unknown): void {
    if (!isEventName(envelope.event)) {
      this.protocolError(new ContractError('BAD_RESPONSE', `unknown event ${envelope.event}`), raw);
      return;
    }
    const data = events[envelope.event].safeParse(envelope.data);
    if (!data.success) {
      this.protocolError(new ContractError('BAD_RESPONSE', `event ${envelope.event} does not match the contract`, issuesFromZod(data.error)), raw);
      return;
    }
    for (const listener of this.listeners.get(envelope.event) ?? []) listener(data.data);
  }

  private protocolError(error: ContractError, raw: unknown): void {
    this.onProtocolError?.(error, raw);
  }
}
