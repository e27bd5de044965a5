import type { NodeState } from './node-state';
import type { StorageCodec } from './storage-codec';

/** frame_system's "new logic" flag on AccountData, which every account on a current runtime carries. */
const NEW_ACCOUNT_LOGIC_FLAG = 1n << 127n;

/**
 * The SCALE storage the real runtime would hold for this state, key -> value
 * (hex), with the keys sorted as the trie orders them (state_getKeysPaged
 * pages through them in that order). Per-block items (Timestamp.Now,
 * System.Events, System.Number) are not here: the node answers those per block.
 */
export class DerivedStorage {
  readonly entries = new Map<string, string>();
  private sorted: string[] | null = null;

  constructor(private readonly codec: StorageCodec) {}

  get(key: string): string | null {
    return this.entries.get(key) ?? null;
  }

  /** Up to `count` keys that start with `prefix` and sort after `startKey`. */
  keysPaged(prefix: string, count: number, startKey?: string): string[] {
    this.sorted ??= [...this.entries.keys()].sort();
    const out: string[] = [];
    for (const key of this.sorted) {
      if (out.length >= count) break;
      if (key.startsWith(prefix) && (startKey === undefined || key > startKey)) out.push(key);
    }
    return out;
  }

  /** Rebuilds every entry from the state (a few thousand at most: cheap next to a block time). */
  rebuild(state: NodeState): void {
    this.entries.clear();
    this.sorted = null;
    const set = (section: string, item: string, args: unknown[], value: unknown) => this.entries.set(this.codec.key(section, item, ...args), this.codec.value(section, item, value));

    for (const [address, account] of Object.entries(state.accounts)) {
      set('system', 'account', [address], {
        nonce: account.nonce,
        consumers: 0,
        providers: 1,
        sufficients: 0,
        data: { free: account.free, reserved: 0, frozen: 0, flags: NEW_ACCOUNT_LOGIC_FLAG },
      });
    }

    const { netuid, hyperparameters: h } = state;
    const neurons = [...state.neurons].sort((a, b) => a.uid - b.uid);
    set('subtensorModule', 'networksAdded', [netuid], true);
    set('subtensorModule', 'totalNetworks', [], 1);
    set('subtensorModule', 'subnetworkN', [netuid], neurons.length);
    set('subtensorModule', 'tempo', [netuid], h.tempo);
    set('subtensorModule', 'burn', [netuid], h.burn);
    set('subtensorModule', 'maxAllowedValidators', [netuid], h.maxAllowedValidators);
    set('subtensorModule', 'immunityPeriod', [netuid], h.immunityPeriod);
    set('subtensorModule', 'maxAllowedUids', [netuid], h.maxAllowedUids);
    // Written even when false: the runtime's default for a missing entry is true.
    set('subtensorModule', 'commitRevealWeightsEnabled', [netuid], h.commitRevealWeightsEnabled);
    set('subtensorModule', 'weightsVersionKey', [netuid], h.weightsVersionKey);

    // Per-uid vectors: uids are 0..n-1 (a full subnet reuses the replaced neuron's uid).
    set('subtensorModule', 'incentive', [netuid], neurons.map((n) => n.incentive));
    set('subtensorModule', 'consensus', [netuid], neurons.map((n) => n.consensus));
    set('subtensorModule', 'dividends', [netuid], neurons.map((n) => n.dividends));
    set('subtensorModule', 'emission', [netuid], neurons.map((n) => n.emission));
    set('subtensorModule', 'validatorPermit', [netuid], neurons.map((n) => n.validatorPermit));
    set('subtensorModule', 'lastUpdate', [netuid], neurons.map((n) => n.lastUpdate));

    for (const n of neurons) {
      set('subtensorModule', 'keys', [netuid, n.uid], n.hotkey);
      set('subtensorModule', 'uids', [netuid, n.hotkey], n.uid);
      set('subtensorModule', 'blockAtRegistration', [netuid, n.uid], n.registeredAt);
      set('subtensorModule', 'totalHotkeyAlpha', [n.hotkey, netuid], n.stake);
      set('subtensorModule', 'isNetworkMember', [n.hotkey, netuid], true);
    }
    const owned = new Map<string, string[]>();
    for (const [hotkey, coldkey] of Object.entries(state.owners)) {
      set('subtensorModule', 'owner', [hotkey], coldkey);
      owned.set(coldkey, [...(owned.get(coldkey) ?? []), hotkey]);
    }
    for (const [coldkey, hotkeys] of owned) set('subtensorModule', 'ownedHotkeys', [coldkey], hotkeys);
    if (state.subnetOwnerHotkey) set('subtensorModule', 'subnetOwnerHotkey', [netuid], state.subnetOwnerHotkey);

    for (const [uid, row] of Object.entries(state.weights)) set('subtensorModule', 'weights', [netuid, Number(uid)], row);

    for (const [hotkey, commitment] of Object.entries(state.commitments)) {
      const fields = commitment.fields.map((hex) => ({ [`Raw${(hex.length - 2) / 2}`]: hex }));
      set('commitments', 'commitmentOf', [netuid, hotkey], { deposit: 0, block: commitment.block, info: { fields } });
    }
  }
}
