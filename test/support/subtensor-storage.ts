import { StorageCodec } from '../../main/devnet/node/storage-codec';
import type { FakeRuntime, NeuronFixture } from './subtensor-fixtures';

/** Encodes storage keys and values with the runtime's own metadata (the devnet node's StorageCodec) and collects them. */
export class StorageBuilder {
  readonly entries = new Map<string, string>();
  private readonly codec: StorageCodec;
  constructor(readonly runtime: FakeRuntime) {
    this.codec = new StorageCodec(runtime);
  }

  key(section: string, item: string, ...args: unknown[]): string {
    return this.codec.key(section, item, ...args);
  }

  /** Hex of `value` encoded as the storage item's value type. */
  encodeValue(section: string, item: string, value: unknown): string {
    return this.codec.value(section, item, value);
  }

  set(section: string, item: string, args: unknown[], value: unknown): this {
    this.entries.set(this.key(section, item, ...args), this.encodeValue(section, item, value));
    return this;
  }

  has(section: string, item: string): boolean {
    return this.codec.has(section, item);
  }
}

/** The subnet storage a metagraph read needs, encoded with the runtime's metadata. */
export function subnetStorage(builder: StorageBuilder, netuid: number, neurons: NeuronFixture[], extra: { tempo?: number; burn?: bigint; totalNetworks?: number } = {}): StorageBuilder {
  const sorted = [...neurons].sort((a, b) => a.uid - b.uid);
  const byUid = (f: (n: NeuronFixture) => unknown, fill: unknown) => {
    const size = sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as NeuronFixture).uid + 1;
    const out: unknown[] = new Array(size).fill(fill);
    for (const n of sorted) out[n.uid] = f(n);
    return out;
  };
  builder.set('subtensorModule', 'networksAdded', [netuid], true);
  builder.set('subtensorModule', 'totalNetworks', [], extra.totalNetworks ?? Math.max(netuid + 1, 4));
  builder.set('subtensorModule', 'subnetworkN', [netuid], sorted.length);
  builder.set('subtensorModule', 'tempo', [netuid], extra.tempo ?? 360);
  builder.set('subtensorModule', 'burn', [netuid], (extra.burn ?? 1_000_000_000n).toString());
  builder.set('subtensorModule', 'incentive', [netuid], byUid((n) => n.incentive, 0));
  builder.set('subtensorModule', 'consensus', [netuid], byUid((n) => n.consensus, 0));
  builder.set('subtensorModule', 'dividends', [netuid], byUid((n) => n.dividends, 0));
  builder.set('subtensorModule', 'emission', [netuid], byUid((n) => n.emission.toString(), '0'));
  builder.set('subtensorModule', 'validatorPermit', [netuid], byUid((n) => n.validatorPermit, false));
  builder.set('subtensorModule', 'lastUpdate', [netuid], byUid((n) => n.lastUpdate, 0));
  if (builder.has('subtensorModule', 'rank')) builder.set('subtensorModule', 'rank', [netuid], byUid((n) => n.chainRank ?? 0, 0));
  for (const n of sorted) {
    builder.set('subtensorModule', 'keys', [netuid, n.uid], n.hotkey);
    builder.set('subtensorModule', 'uids', [netuid, n.hotkey], n.uid);
    builder.set('subtensorModule', 'owner', [n.hotkey], n.coldkey);
    builder.set('subtensorModule', 'blockAtRegistration', [netuid, n.uid], n.registeredAt);
    if (builder.has('subtensorModule', 'totalHotkeyAlpha')) builder.set('subtensorModule', 'totalHotkeyAlpha', [n.hotkey, netuid], n.stake.toString());
    else if (builder.has('subtensorModule', 'totalHotkeyStake')) builder.set('subtensorModule', 'totalHotkeyStake', [n.hotkey], n.stake.toString());
  }
  return builder;
}
