import type { CoreState } from '../../contract';

/**
 * Holds the one CoreState object and tells subscribers whenever it changes.
 * Updates are functional so every change produces a fresh snapshot that can be
 * sent as-is over any bridge.
 */
export class StateStore {
  private readonly listeners = new Set<(state: CoreState) => void>();

  constructor(private state: CoreState) {}

  get(): CoreState {
    return this.state;
  }

  update(change: (state: CoreState) => CoreState): void {
    const next = change(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener(next);
  }

  subscribe(listener: (state: CoreState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
