import type { TypeRegistry } from '@polkadot/types';
import type { expandMetadata } from '@polkadot/types/metadata';
import { compactStripLength, u8aToHex } from '@polkadot/util';

/** The parts of a runtime the codec needs (the node's SubtensorRuntime, or a test's fake runtime). */
export interface StorageRuntime {
  registry: TypeRegistry;
  decorated: ReturnType<typeof expandMetadata>;
}

/**
 * Storage keys and values encoded by the runtime's own metadata: the hashers
 * and value types of every item come from it, never from hand-written rules.
 * Sections and items are the camelCase names @polkadot/api uses
 * (`subtensorModule`, `totalHotkeyAlpha`).
 */
export class StorageCodec {
  constructor(private readonly runtime: StorageRuntime) {}

  has(section: string, item: string): boolean {
    return Boolean(this.runtime.decorated.query[section]?.[item]);
  }

  /** The full storage key (hex) of an item and its map arguments. */
  key(section: string, item: string, ...args: unknown[]): string {
    const raw = (this.entry(section, item) as unknown as (...a: unknown[]) => Uint8Array)(...args);
    return u8aToHex(compactStripLength(raw)[1]);
  }

  /** The key prefix shared by all entries of an item (what state_getKeysPaged is given to list them). */
  prefix(section: string, item: string): string {
    return u8aToHex(this.entry(section, item).keyPrefix());
  }

  /** Hex of `value` encoded as the item's value type. */
  value(section: string, item: string, value: unknown): string {
    const entry = this.entry(section, item);
    const type = entry.meta.type.isPlain ? entry.meta.type.asPlain : entry.meta.type.asMap.value;
    // toU8a, not toHex: toHex of an integer is its big-endian number, not its SCALE encoding.
    return u8aToHex(this.runtime.registry.createType(this.runtime.registry.createLookupType(type), value).toU8a());
  }

  private entry(section: string, item: string) {
    const entry = this.runtime.decorated.query[section]?.[item];
    if (!entry) throw new Error(`this runtime has no storage ${section}.${item}`);
    return entry;
  }
}
