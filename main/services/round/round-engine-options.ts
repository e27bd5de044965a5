import type { RoundState } from '../../../contract/domains/round';
import type { Logger } from '../../core/logging/logger';
import type { ChainPort } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import type { TrainerPort } from '../../ports/trainer-port';
import type { RoundLedger } from '../earnings/round-ledger';
import type { CatchUpState } from './catch-up-state';
import type { CheckpointSource } from './checkpoint-source';
import type { PayloadVerdict, PeerAccount } from './gather';
import type { WindowData } from './window-data';

/** What a RoundEngine is given: the run, the ports it works on, and where it reports. */
export interface RoundEngineOptions {
  manifest: RunManifest;
  chain: ChainPort;
  self: { uid: number; hotkey: string };
  /** Where this peer uploads. */
  storage: StoragePort;
  /** Where a peer's uploads can be read (devnet: its folder; real runs: from its chain commitment). */
  peerStorage(uid: number): StoragePort | undefined;
  /**
   * This peer's bucket as the others read it (through the read key it
   * published). Its own update counts only when it is readable that way, as
   * everyone's: a revoked or wrong published key leaves it out here too, so
   * this peer does not drift off the model the others aggregate.
   */
  ownReadBack?: StoragePort;
  /**
   * Whether a peer's update of a window may count at all: its storage
   * commitment was on chain before the window began (PeerDirectory.committedBefore).
   * Applied to everyone's updates, this peer's own included. Absent: all may.
   */
  committedBefore?(uid: number, window: number): boolean;
  /**
   * Hotkeys with a storage commitment: miners, even with a validator permit
   * (see isMiner). Read afresh at each window start: a set read a moment
   * before a newcomer's commitment would pick other candidates than the peers
   * that read it after.
   */
  minerHotkeys?(): ReadonlySet<string> | Promise<ReadonlySet<string>>;
  trainer: TrainerPort;
  validatePayload(payload: Uint8Array): Promise<PayloadVerdict>;
  ledger: RoundLedger;
  /** Scratch folder for this peer's payload files. */
  workDir: string;
  logger: Logger;
  onState?(state: RoundState): void;
  /** Each window's per-peer gather outcome (bytes, accepted or why not), for the Network page. */
  onGather?(window: number, peers: readonly PeerAccount[]): void;
  /** Checkpoint after every Nth applied window. */
  checkpointEvery?: number;
  /** Windows of aggregates replayed to catch up before giving up and waiting for a checkpoint. */
  maxCatchUpWindows?: number;
  /** The run's published checkpoints: a newcomer, or a peer back after more windows than it can replay, starts from one. */
  checkpoints?: CheckpointSource;
  /** The shards each window trains on, for runs that list them by URL (absent: the trainer's own data folder). */
  data?: WindowData;
  /**
   * What survives a restart: the uids aggregated per recent window (and the
   * last applied window, for trainers that do not keep it themselves). With
   * it, a restarted peer replays the windows it missed and rejoins the model.
   */
  catchUpState?: CatchUpState;
  /** Upload attempts before the deadline (with backoff between them). */
  uploadAttempts?: number;
  /**
   * Upload and gather window w while window w+1 trains, applying w's
   * aggregate after w+1's inner steps (default). False runs them in turn.
   */
  overlapCommunication?: boolean;
  now?: () => number;
}
