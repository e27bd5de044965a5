import { ApiPromise, WsProvider } from '@polkadot/api';
import type { ChainHealth } from '../../ports/chain-port';

export interface BackoffOptions {
  /** First retry delay. */
  initialMs: number;
  /** Longest delay between retries. */
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2 };

/** Delay before retry number `attempt` (1-based), with ±20 % jitter so a fleet does not reconnect in lockstep. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Subtensor declares signed extensions that @polkadot/api does not know.
 * They add no bytes to the extrinsic or the signed payload, so they are
 * declared empty (which also silences the registry's warning).
 */
export const SUBTENSOR_SIGNED_EXTENSIONS = {
  SubtensorTransactionExtension: { extrinsic: {}, payload: {} },
  SubtensorSignedExtension: { extrinsic: {}, payload: {} },
  CommitmentsSignedExtension: { extrinsic: {}, payload: {} },
  DrandPriority: { extrinsic: {}, payload: {} },
  SudoTransactionExtension: { extrinsic: {}, payload: {} },
  CheckShieldedTxValidity: { extrinsic: {}, payload: {} },
} as const;

export interface ConnectionOptions {
  endpoint: string;
  backoff?: Partial<BackoffOptions>;
  /** Per-request timeout of the provider. */
  requestTimeoutMs?: number;
  onHealth?: (health: ChainHealth) => void;
}

/**
 * A WsProvider that we reconnect ourselves, with exponential backoff (the
 * provider's own retry uses a fixed delay), and a health state for the UI.
 * Subscriptions are re-made by the provider on every reconnect.
 */
export class SubtensorConnection {
  readonly api: ApiPromise;
  readonly provider: WsProvider;
  private state: ChainHealth = { state: 'connecting' };
  private attempt = 0;
  private lastError = '';
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private bestBlock: number | null = null;
  private readonly backoff: BackoffOptions;
  private readonly listeners = new Set<(health: ChainHealth) => void>();

  constructor(private readonly options: ConnectionOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    if (options.onHealth) this.listeners.add(options.onHealth);
    this.provider = new WsProvider(options.endpoint, false, {}, options.requestTimeoutMs ?? 30_000);
    this.provider.on('connected', () => {
      this.attempt = 0;
      this.setHealth({ state: 'connected', endpoint: options.endpoint, bestBlock: this.bestBlock });
    });
    this.provider.on('error', (error: unknown) => {
      this.lastError = describeSocketError(error);
    });
    this.provider.on('disconnected', () => this.scheduleReconnect());
    this.api = new ApiPromise({ provider: this.provider, noInitWarn: true, signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS });
    this.api.on('error', (error: unknown) => {
      // Socket failures arrive as ErrorEvent objects; String() of one says "[object Object]".
      this.lastError = describeSocketError(error);
    });
  }

  health(): ChainHealth {
    return this.state;
  }

  onHealth(listener: (health: ChainHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  lastErrorMessage(): string {
    return this.lastError;
  }

  noteBlock(block: number): void {
    this.bestBlock = block;
    if (this.state.state === 'connected' && this.state.bestBlock !== block) this.setHealth({ ...this.state, bestBlock: block });
  }

  connect(): void {
    this.setHealth({ state: 'connecting' });
    void this.provider.connect().catch((error: unknown) => {
      this.lastError = describeSocketError(error);
      this.scheduleReconnect();
    });
  }

  /** Resolves when the API has loaded metadata; rejects with the reason on the first failure or after the timeout. */
  ready(timeoutMs: number): Promise<ApiPromise> {
    return new Promise<ApiPromise>((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        if (error) reject(error);
        else resolve(this.api);
      };
      const timer = setTimeout(() => finish(new Error(this.lastError ? `no answer: ${this.lastError}` : `no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      // The API reports socket failures as plain event objects, not Errors: name them properly.
      const asError = (error: unknown) => (error instanceof Error ? error : new Error(describeSocketError(error)));
      const onApiError = (error: unknown) => finish(asError(error));
      this.api.on('error', onApiError);
      const off = () => this.api.off('error', onApiError);
      this.api.isReadyOrError.then(() => finish(), (error: unknown) => finish(asError(error)));
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.attempt += 1;
    this.setHealth({ state: 'reconnecting', endpoint: this.options.endpoint, attempt: this.attempt, lastError: this.lastError || 'connection closed' });
    const delay = backoffDelay(this.attempt, this.backoff);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      void this.provider.connect().catch((error: unknown) => {
        this.lastError = describeSocketError(error);
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref?.();
  }

  private setHealth(health: ChainHealth): void {
    this.state = health;
    for (const listener of this.listeners) listener(health);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.api.disconnect().catch(() => undefined);
    this.setHealth({ state: 'failed', reason: 'closed' });
  }
}

export function describeSocketError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; error?: unknown; type?: unknown };
    if (typeof e.message === 'string' && e.message) return e.message;
    if (e.error instanceof Error) return e.error.message;
    if (typeof e.type === 'string') return `socket ${e.type}`;
  }
  return String(error);
}
