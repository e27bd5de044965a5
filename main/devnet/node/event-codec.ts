import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import type { Metadata, TypeRegistry } from '@polkadot/types';

/** Where in a block an event happened, as frame_system's Phase says it. */
export type EventPhase = { applyExtrinsic: number } | 'initialization' | 'finalization';

/** A runtime event before encoding: pallet and variant by their metadata names, fields as the registry accepts them. */
export interface EventSpec {
  pallet: string;
  name: string;
  /** Tuple fields as an array, named fields as an object. */
  data: unknown;
}

/** What a failed dispatch reports: a pallet's error variant, or one of sp_runtime's own DispatchError kinds. */
export type DispatchErrorSpec = { module: string; error: string } | { token: string } | { other: 'BadOrigin' | 'CannotLookup' | 'Other' };

/** The DispatchEventInfo of ExtrinsicSuccess/ExtrinsicFailed. */
export interface DispatchInfoSpec {
  refTime: bigint;
  paysFee: boolean;
  class?: 'Normal' | 'Operational' | 'Mandatory';
}

interface VariantLookup {
  name: { toString(): string };
  index: { toNumber(): number };
  docs: Array<{ toString(): string }>;
}

interface PalletMeta {
  name: { toString(): string };
  index: { toNumber(): number };
  events: { isSome: boolean; unwrap(): { type: unknown } };
  errors: { isSome: boolean; unwrap(): { type: unknown } };
}

/**
 * Encodes System.Events the way the runtime stores them: `Vec<EventRecord>`
 * where each event is the pallet's index followed by the pallet's own event
 * enum, all from the metadata (so @polkadot/api decodes them as finney's).
 */
export class EventCodec {
  constructor(private readonly runtime: { registry: TypeRegistry; metadata: Metadata }) {}

  /** One event, encoded (pallet index, variant index, fields). */
  event(spec: EventSpec): Uint8Array {
    const pallet = this.pallet(spec.pallet);
    if (!pallet.events.isSome) throw new Error(`pallet ${spec.pallet} has no events`);
    const type = this.runtime.registry.createLookupType(pallet.events.unwrap().type as never);
    const inner = this.runtime.registry.createType(type, { [spec.name]: spec.data });
    if (this.variantName(inner) !== spec.name) throw new Error(`pallet ${spec.pallet} has no event ${spec.name}`);
    return u8aConcat(new Uint8Array([pallet.index.toNumber()]), inner.toU8a());
  }

  /** `Vec<EventRecord>` of a block, as hex (the value of System.Events). */
  records(events: Array<{ phase: EventPhase; event: EventSpec }>): string {
    const { registry } = this.runtime;
    const encoded = events.map(({ phase, event }) => {
      const phaseValue = typeof phase === 'object' ? { ApplyExtrinsic: phase.applyExtrinsic } : phase === 'initialization' ? 'Initialization' : 'Finalization';
      return u8aConcat(registry.createType('FrameSystemPhase', phaseValue).toU8a(), this.event(event), compactToU8a(0));
    });
    return u8aToHex(u8aConcat(compactToU8a(encoded.length), ...encoded));
  }

  /** The SpRuntimeDispatchError value of a failure (module errors by their variant name in the metadata). */
  dispatchError(spec: DispatchErrorSpec): unknown {
    if ('token' in spec) return { Token: spec.token };
    if ('other' in spec) return spec.other;
    const pallet = this.pallet(spec.module);
    const variant = this.errorVariant(pallet, spec.error);
    return { Module: { index: pallet.index.toNumber(), error: u8aToHex(new Uint8Array([variant.index.toNumber(), 0, 0, 0])) } };
  }

  /** The docs the metadata gives for a pallet's error (what a client shows beside its name). */
  errorDocs(module: string, error: string): string {
    return this.errorVariant(this.pallet(module), error).docs.map((d) => d.toString()).join(' ');
  }

  dispatchInfo(info: DispatchInfoSpec): unknown {
    return { weight: { refTime: info.refTime, proofSize: 0 }, class: info.class ?? 'Normal', paysFee: info.paysFee ? 'Yes' : 'No' };
  }

  private pallet(name: string): PalletMeta {
    const pallets = (this.runtime.metadata.asLatest as unknown as { pallets: PalletMeta[] }).pallets;
    const pallet = pallets.find((p) => p.name.toString() === name);
    if (!pallet) throw new Error(`this runtime has no pallet ${name}`);
    return pallet;
  }

  private errorVariant(pallet: PalletMeta, error: string): VariantLookup {
    if (!pallet.errors.isSome) throw new Error(`pallet ${pallet.name.toString()} has no errors`);
    const type = this.runtime.registry.lookup.getSiType(pallet.errors.unwrap().type as never);
    const variant = (type.def.asVariant.variants as unknown as VariantLookup[]).find((v) => v.name.toString() === error);
    if (!variant) throw new Error(`pallet ${pallet.name.toString()} has no error ${error}`);
    return variant;
  }

  private variantName(value: unknown): string {
    return (value as { type: string }).type;
  }
}
