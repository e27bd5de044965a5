import fs from 'node:fs';
import path from 'node:path';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { expandMetadata } from '@polkadot/types/metadata';
import { SUBTENSOR_SIGNED_EXTENSIONS } from '../../adapters/subtensor/connection';
import { packageInfo } from '../../platform/package-info';
import { resourceLayout } from '../../platform/resources';

/** The file names under assets/subtensor (see its SOURCE.md). */
export const RUNTIME_METADATA_FILE = 'metadata-finney-spec424-v16.scale';
export const RUNTIME_VERSION_FILE = 'runtime-version-spec424.json';

/** What state_getRuntimeVersion answers: subtensor's RuntimeVersion as JSON. */
export interface RuntimeVersionJson {
  specName: string;
  implName: string;
  authoringVersion: number;
  specVersion: number;
  implVersion: number;
  apis: Array<[string, number]>;
  transactionVersion: number;
  [extra: string]: unknown;
}

/**
 * Subtensor's real runtime as the devnet node serves it: finney's metadata
 * (spec 424, v16) with its own type registry, so every key, value, event and
 * extrinsic the node reads or writes has exactly the encoding finney uses.
 */
export interface SubtensorRuntime {
  registry: TypeRegistry;
  metadata: Metadata;
  /** The metadata as shipped (RuntimeMetadataPrefixed, v16). */
  metadataBytes: Uint8Array;
  /** Storage, calls, constants and errors decorated from the metadata. */
  decorated: ReturnType<typeof expandMetadata>;
  version: RuntimeVersionJson;
}

/** Where the runtime files are: the repository's assets/subtensor, or resources/subtensor in a packaged app. */
export function defaultRuntimeDir(): string {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  return resourceLayout({ appRoot: packageInfo().root, ...(resourcesPath ? { resourcesPath } : {}) }).subtensorRuntime;
}

const cache = new Map<string, SubtensorRuntime>();

/** Loads (once per folder: decoding the metadata takes a while) the runtime the node serves. */
export function loadSubtensorRuntime(dir: string = defaultRuntimeDir()): SubtensorRuntime {
  const cached = cache.get(dir);
  if (cached) return cached;
  const metadataFile = path.join(dir, RUNTIME_METADATA_FILE);
  const versionFile = path.join(dir, RUNTIME_VERSION_FILE);
  for (const file of [metadataFile, versionFile]) {
    if (!fs.existsSync(file)) throw new Error(`the devnet node needs subtensor's runtime file ${file}, which is missing from this install`);
  }
  const metadataBytes = new Uint8Array(fs.readFileSync(metadataFile));
  const version = JSON.parse(fs.readFileSync(versionFile, 'utf8')) as RuntimeVersionJson;
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, metadataBytes);
  // The same extension definitions as the client (SubtensorChain), so both build the same signing payload.
  registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS, true);
  const decorated = expandMetadata(registry, metadata);
  const constantSpec = (decorated.consts['system']?.['version'] as unknown as { specVersion?: { toNumber(): number } } | undefined)?.specVersion?.toNumber();
  if (constantSpec !== undefined && constantSpec !== version.specVersion) {
    throw new Error(`${versionFile} says spec ${version.specVersion} but ${metadataFile} is spec ${constantSpec}`);
  }
  const runtime: SubtensorRuntime = { registry, metadata, metadataBytes, decorated, version };
  cache.set(dir, runtime);
  return runtime;
}
