import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { RoundState } from '../../contract/domains/round';
import { validatePayload } from '../../main/adapters/codec';
import { DevnetChain } from './devnet-chain';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import type { PayloadVerdict } from '../../main/services/round/gather';
import { RoundEngine, type RoundEngineOptions } from '../../main/services/round/round-engine';
import type { TrainerPort } from '../../main/ports/trainer-port';
import type { RunManifest } from '../../main/ports/run-manifest';
import { FilesystemStorage } from '../../main/adapters/storage/filesystem-storage';
import { devSigner } from './dev-signer';
import { makeTempDir } from './temp-dir';

/** The subnet of the test devnets (the manifests of vector-trainer.ts and the native tests name it too). */
export const DEVNET_NETUID = 3;

/** The codec's verdict on an update, its field and message as the reason: what the app's engines validate with. */
export async function codecVerdict(bytes: Uint8Array): Promise<PayloadVerdict> {
  const verdict = await validatePayload(bytes);
  return verdict.ok ? { ok: true } : { ok: false, reason: `${verdict.field}: ${verdict.message}` };
}

/** Both schedules, for `describe.each`: communication overlapped with the next window's training (the default), and in turn. */
export const ENGINE_SCHEDULES = [
  { schedule: 'overlapped', overlapCommunication: true },
  { schedule: 'sequential', overlapCommunication: false },
] as const;

export interface DevnetPeer<T extends TrainerPort = TrainerPort> {
  name: string;
  uid: number;
  hotkey: string;
  trainer: T;
  engine: RoundEngine;
  ledger: RoundLedger;
  /** Every state the engine reported, oldest first. */
  states: RoundState[];
}

/** Engine options a test may set; the rest come from the peer and its set-up. */
export type EngineOverrides = Partial<Omit<RoundEngineOptions, 'manifest' | 'self' | 'trainer' | 'ledger'>>;

export interface DevnetPeerSetup<T extends TrainerPort> {
  manifest: RunManifest;
  /** The peer's trainer, made once its uid is known. */
  trainer(uid: number): T;
  /**
   * Engine options that differ from the defaults (the devnet's chain;
   * uploads to and reads from `<dir>/peers/<uid>`; the codec's validation; a
   * silent logger; ledger and work folder under `<dir>/<name>`), or a
   * function of the peer's uid that gives them. An `onState` here is called
   * besides the recording into `states`.
   */
  engine?: EngineOverrides | ((uid: number) => EngineOverrides);
}

/**
 * A devnet chain in a test's folder, and round engines on it, each a peer
 * registered under a dev account (`//Alice`): the set-up every round-engine
 * test needs, so each test says only what it does differently.
 */
export class DevnetPeers {
  readonly peers: DevnetPeer[] = [];

  private constructor(
    readonly dir: string,
    readonly chain: DevnetChain,
  ) {}

  /** A fresh devnet in `dir` whose blocks come every `blockMs`; no emission, so rewards play no part. */
  static async open(dir: string, blockMs: number): Promise<DevnetPeers> {
    await cryptoWaitReady();
    const chain = await DevnetChain.open({ file: path.join(dir, 'chain.json'), netuid: DEVNET_NETUID, blockMs, tempo: 1000, minerEmissionPerTempo: 0n });
    return new DevnetPeers(dir, chain);
  }

  /** Where peer `uid` uploads, and the others read it from. */
  readonly storageOf = (uid: number): FilesystemStorage => new FilesystemStorage(path.join(this.dir, 'peers', String(uid)));

  /** Registers `//<name>` on the devnet and builds its engine (not joined yet). */
  async add<T extends TrainerPort>(name: string, setup: DevnetPeerSetup<T>): Promise<DevnetPeer<T>> {
    const signer = devSigner(`//${name}`);
    const uid = await this.chain.register(DEVNET_NETUID, signer.address, signer);
    const trainer = setup.trainer(uid);
    const ledger = new RoundLedger(path.join(this.dir, name, 'rounds.ndjson'));
    const states: RoundState[] = [];
    const overrides = typeof setup.engine === 'function' ? setup.engine(uid) : setup.engine;
    const onState = overrides?.onState;
    const engine = new RoundEngine({
      chain: this.chain,
      storage: this.storageOf(uid),
      peerStorage: this.storageOf,
      validatePayload: codecVerdict,
      workDir: path.join(this.dir, name, 'work'),
      logger: pino({ level: 'silent' }),
      ...overrides,
      manifest: setup.manifest,
      self: { uid, hotkey: signer.address },
      trainer,
      ledger,
      onState: (state) => {
        states.push(state);
        onState?.(state);
      },
    });
    const peer = { name, uid, hotkey: signer.address, trainer, engine, ledger, states };
    this.peers.push(peer);
    return peer;
  }

  /**
   * Stops every engine at once (an aggregate in flight is dropped), then the
   * trainers that run a process of their own (a NativeTrainer's `stop`),
   * waits until no engine still writes (a round cut short, an upload in
   * flight: the folder is removed next), then closes the chain.
   */
  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.engine.leave('now')));
    await Promise.all(this.peers.map((p) => (p.trainer as TrainerPort & { stop?: () => Promise<void> }).stop?.()));
    await Promise.all(this.peers.map((p) => p.engine.settle()));
    await this.chain.close();
  }
}

/**
 * For a describe block: a fresh temp folder with a devnet in it, before each
 * test (`scope` 'each') or once for the block ('all'); after, its engines
 * and their trainers stopped, the chain closed and the folder removed. Read
 * it inside tests and hooks (not while the block is being collected).
 * After-hooks run in reverse (vitest's default), so a test's own teardown
 * runs before this one.
 */
export function useDevnet(blockMs: number, scope: 'each' | 'all' = 'each'): { readonly devnet: DevnetPeers; readonly dir: string } {
  let temp: ReturnType<typeof makeTempDir> | undefined;
  let current: DevnetPeers | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    temp = makeTempDir();
    current = await DevnetPeers.open(temp.dir, blockMs);
  });
  after(async () => {
    await current?.close();
    temp?.cleanup();
    current = undefined;
    temp = undefined;
  });
  const opened = (): DevnetPeers => {
    if (!current) throw new Error('the devnet is open only inside tests and their hooks');
    return current;
  };
  return {
    get devnet() {
      return opened();
    },
    get dir() {
      return opened().dir;
    },
  };
}

/** Resolves once `done` holds, checked every 20 ms; after `timeoutMs`, fails with what `describe` says. */
export function until(done: () => boolean | Promise<boolean>, describe: () => string | Promise<string>, timeoutMs = 60_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const check = async (): Promise<void> => {
      try {
        if (await done()) return resolve();
        if (Date.now() - started > timeoutMs) return reject(new Error(await describe()));
        setTimeout(() => void check(), 20);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    void check();
  });
}

/** Resolves once every peer has applied `n` windows' aggregates, or fails naming how many each did. */
export function roundsDone(peers: ReadonlyArray<Pick<DevnetPeer, 'engine'>>, n: number, timeoutMs = 20_000): Promise<void> {
  return until(
    () => peers.every((p) => p.engine.current.completedRounds >= n),
    () => `rounds: ${peers.map((p) => p.engine.current.completedRounds).join(',')}`,
    timeoutMs,
  );
}
