import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { expandMetadata } from '@polkadot/types/metadata';
import { u8aToHex } from '@polkadot/util';

/**
 * The real subtensor data the tests stand on, in ../shared/fixtures/subtensor
 * beside the checkout: metadata files of four runtime specs and recorded
 * finney JSON-RPC traffic. Tests that need them skip, naming SKIP_SUBTENSOR,
 * where they are absent (hasSubtensorFixtures).
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SUBTENSOR_FIXTURES = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'subtensor');
export const hasSubtensorFixtures = fs.existsSync(path.join(SUBTENSOR_FIXTURES, 'metadata.scale'));
export const SKIP_SUBTENSOR = 'subtensor fixtures absent: ../shared/fixtures/subtensor not found beside the checkout';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Recorded = Record<string, Record<string, Record<string, { result?: Json; error?: Json }>>>;

let recordedCache: Recorded | undefined;
/** The recorded finney JSON-RPC traffic: seed → method → JSON params → response. */
export function recorded(): Recorded {
  recordedCache ??= JSON.parse(fs.readFileSync(path.join(SUBTENSOR_FIXTURES, 'rpc', 'bittensor-integration-websocket-data.json'), 'utf8')) as Recorded;
  return recordedCache;
}

/** The one recorded answer of `method` in a seed (first when several). */
export function recordedResult(seed: string, method: string, paramsIncludes?: string): Json {
  const calls = recorded()[seed]?.[method];
  if (!calls) throw new Error(`no recorded ${method} in seed ${seed}`);
  const key = Object.keys(calls).find((k) => paramsIncludes === undefined || k.includes(paramsIncludes));
  if (key === undefined) throw new Error(`no recorded ${method}(${paramsIncludes}) in seed ${seed}`);
  return calls[key]?.result ?? null;
}

export type SpecName = 240 | 343 | 393 | 424;

export interface FakeRuntime {
  spec: SpecName;
  registry: TypeRegistry;
  metadata: Metadata;
  /** What state_getMetadata returns (a real node gives v14 there; we only have v16 for the newest specs). */
  stateGetMetadataHex: string;
  /** Versions answered by Metadata_metadata_versions, and the bytes of each for Metadata_metadata_at_version. */
  metadataAtVersion: Map<number, Uint8Array>;
  runtimeVersion: Record<string, Json>;
  /** Decorated storage/tx of this runtime (to encode keys and values). */
  decorated: ReturnType<typeof expandMetadata>;
}

const runtimeCache = new Map<SpecName, FakeRuntime>();

/**
 * A runtime from the fixture files. Spec 343 uses the recorded finney
 * state_getRuntimeVersion of the `metagraph` seed as is; the other specs reuse
 * it with their own specVersion (their metadata files are real, their runtime
 * version answer is not recorded anywhere).
 */
export function loadRuntime(spec: SpecName): FakeRuntime {
  const cached = runtimeCache.get(spec);
  if (cached) return cached;
  const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(SUBTENSOR_FIXTURES, name)));
  const registry = new TypeRegistry();
  const metadataAtVersion = new Map<number, Uint8Array>();
  let stateGetMetadataHex: string;
  let metadata: Metadata;
  if (spec === 343) {
    const v15 = read('metadata.scale');
    metadata = new Metadata(registry, v15);
    metadataAtVersion.set(15, v15);
    stateGetMetadataHex = fs.readFileSync(path.join(SUBTENSOR_FIXTURES, 'metadata-finney-spec343-v14.hex'), 'utf8').trim();
  } else {
    const file = { 240: 'metadata-localnet-spec240-v15.scale', 393: 'metadata-finney-spec393-v16.scale', 424: 'metadata-finney-spec424-v16.scale' }[spec];
    const bytes = read(file);
    metadata = new Metadata(registry, bytes);
    metadataAtVersion.set(metadata.version, bytes);
    stateGetMetadataHex = u8aToHex(bytes);
  }
  registry.setMetadata(metadata);
  const recordedVersion = recordedResult('metagraph', 'state_getRuntimeVersion') as Record<string, Json>;
  const runtimeVersion = { ...recordedVersion, specVersion: spec };
  const runtime: FakeRuntime = { spec, registry, metadata, stateGetMetadataHex, metadataAtVersion, runtimeVersion, decorated: expandMetadata(registry, metadata) };
  runtimeCache.set(spec, runtime);
  return runtime;
}

/** The type a runtime API method returns, as the runtime's own metadata declares it; undefined where it has no such method. */
export function runtimeApiOutput(runtime: FakeRuntime, api: string, method: string): string | undefined {
  const latest = runtime.metadata.asLatest as unknown as { apis?: Array<{ name: { toString(): string }; methods: Array<{ name: { toString(): string }; output: unknown }> }> };
  const found = latest.apis?.find((a) => a.name.toString() === api)?.methods.find((m) => m.name.toString() === method);
  return found ? runtime.registry.createLookupType(found.output as never) : undefined;
}

/** A neuron as the fixtures describe it, before it is encoded into storage. */
export interface NeuronFixture {
  uid: number;
  hotkey: string;
  coldkey: string;
  /** Raw u16 (0..65535). */
  incentive: number;
  consensus: number;
  dividends: number;
  emission: bigint;
  stake: bigint;
  validatorPermit: boolean;
  lastUpdate: number;
  registeredAt: number;
  /** Only for runtimes that still have Rank: a value the client must NOT use. */
  chainRank?: number;
}

/**
 * The real finney netuid-1 metagraph at block 6852690 (spec 343), from the
 * recorded `NeuronInfoRuntimeApi_get_neurons_lite` answer, decoded with the
 * spec-343 metadata's own runtime-API types.
 */
export function recordedNeurons(): NeuronFixture[] {
  const runtime = loadRuntime(343);
  const output = runtimeApiOutput(runtime, 'NeuronInfoRuntimeApi', 'get_neurons_lite');
  if (!output) throw new Error('spec 343 metadata has no NeuronInfoRuntimeApi.get_neurons_lite');
  const hex = recordedResult('metagraph', 'state_call', 'NeuronInfoRuntimeApi_get_neurons_lite') as string;
  const decoded = runtime.registry.createType(output, hex).toJSON() as Array<{
    uid: number;
    hotkey: string;
    coldkey: string;
    incentive: number;
    consensus: number;
    dividends: number;
    emission: number | string;
    stake: Array<[string, number | string]>;
    validatorPermit: boolean;
    lastUpdate: number;
    rank: number;
  }>;
  return decoded.map((n, i) => ({
    uid: n.uid,
    hotkey: n.hotkey,
    coldkey: n.coldkey,
    incentive: n.incentive,
    consensus: n.consensus,
    dividends: n.dividends,
    emission: BigInt(n.emission),
    stake: n.stake.reduce((sum, [, amount]) => sum + BigInt(amount), 0n),
    validatorPermit: n.validatorPermit,
    lastUpdate: n.lastUpdate,
    registeredAt: 6_000_000 + i,
    chainRank: n.rank,
  }));
}
