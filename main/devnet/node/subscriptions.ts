import type { HeaderJson } from './block-builder';
import type { RpcClient } from './rpc-server';

/** The notification methods of the head subscriptions, as substrate names them. */
export type HeadKind = 'chain_newHead' | 'chain_allHead' | 'chain_finalizedHead';

interface Subscriber {
  client: RpcClient;
  id: string;
}

interface StorageSubscriber extends Subscriber {
  keys: string[];
  last: Map<string, string | null>;
}

/**
 * Who listens to what: block heads, storage keys, and the status of watched
 * extrinsics. Subscribers leave when they unsubscribe or their socket closes.
 */
export class Subscriptions {
  private readonly heads = new Map<HeadKind, Set<Subscriber>>();
  private readonly storage = new Set<StorageSubscriber>();
  private readonly watchers = new Map<string, Subscriber>();

  /** Subscribes to heads; the current head is pushed right after the reply, as a node does. */
  addHead(kind: HeadKind, client: RpcClient, current: HeaderJson): string {
    const set = this.heads.get(kind) ?? new Set<Subscriber>();
    this.heads.set(kind, set);
    const subscriber: Subscriber = { client, id: '' };
    subscriber.id = client.subscribe(kind, () => set.delete(subscriber));
    set.add(subscriber);
    client.afterReply(() => client.notify(subscriber.id, current));
    return subscriber.id;
  }

  /** Subscribes to storage keys: their values now, then whenever a block changes one of them. */
  addStorage(client: RpcClient, keys: string[], read: (key: string) => string | null, blockHash: string): string {
    const subscriber: StorageSubscriber = { client, id: '', keys, last: new Map(keys.map((k) => [k, read(k)])) };
    subscriber.id = client.subscribe('state_storage', () => this.storage.delete(subscriber));
    this.storage.add(subscriber);
    client.afterReply(() => client.notify(subscriber.id, { block: blockHash, changes: keys.map((k) => [k, subscriber.last.get(k) ?? null]) }));
    return subscriber.id;
  }

  /** Watches one extrinsic (by hash); `ready` goes out right after the reply. */
  addWatcher(client: RpcClient, extrinsicHash: string): string {
    const subscriber: Subscriber = { client, id: '' };
    subscriber.id = client.subscribe('author_extrinsicUpdate', () => {
      if (this.watchers.get(extrinsicHash) === subscriber) this.watchers.delete(extrinsicHash);
    });
    this.watchers.set(extrinsicHash, subscriber);
    client.afterReply(() => client.notify(subscriber.id, 'ready'));
    return subscriber.id;
  }

  /** A new block: every head subscriber hears of it (finality is instant on the devnet), storage subscribers of what changed. */
  announceBlock(header: HeaderJson, blockHash: string, read: (key: string) => string | null): void {
    for (const kind of ['chain_newHead', 'chain_allHead', 'chain_finalizedHead'] as const) {
      for (const s of this.heads.get(kind) ?? []) s.client.notify(s.id, header);
    }
    for (const s of this.storage) {
      const changes: Array<[string, string | null]> = [];
      for (const key of s.keys) {
        const value = read(key);
        if (value !== s.last.get(key)) changes.push([key, value]);
        s.last.set(key, value);
      }
      if (changes.length > 0) s.client.notify(s.id, { block: blockHash, changes });
    }
  }

  /** Tells an extrinsic's watcher where it went; a final status ends the watch. */
  extrinsicStatus(extrinsicHash: string, statuses: unknown[]): void {
    const watcher = this.watchers.get(extrinsicHash);
    if (!watcher) return;
    for (const status of statuses) watcher.client.notify(watcher.id, status);
    watcher.client.unsubscribe(watcher.id);
  }
}
