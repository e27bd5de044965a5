import type { ChainPort } from '../ports/chain-port';
import type { RoundLedger } from '../services/earnings/round-ledger';
import type { PeerTraffic } from './peer-traffic';
import type { RunManifest } from '../ports/run-manifest';
import type { PeerDirectory } from '../services/run/peer-directory';
import type { VerifiedManifest } from '../services/run/signed-manifest';
import type { CommitmentNotice } from '../services/run/publish-commitment';

/** What the views (Network page, chain status, `tandem status`) read of the run this machine has joined. */
export interface JoinedRun {
  /** The network target it was joined on (devnet, finney, a URL). */
  network: string;
  manifest: RunManifest;
  /** The manifest with who signed it, where it came from, and its digest. */
  verified: VerifiedManifest;
  chain: ChainPort;
  uid: number;
  hotkey: string;
  traffic: PeerTraffic;
  /** Where each peer's updates are read from, or why they cannot be. */
  directory?: PeerDirectory;
  ledger: RoundLedger;
  /** As of now: they change when the user changes the storage keys while joined. */
  notices(): readonly CommitmentNotice[];
  /** A validator's rating of a uid (OpenSkill ordinal), where this app runs one (the devnet's). */
  ratingOf?(uid: number): number | null;
}

/**
 * The run joined right now, or none: set when Join builds the runtime and
 * cleared when it closes, for the modules that show it.
 */
export class JoinedRunLink {
  private run: JoinedRun | null = null;
  private readonly listeners = new Set<() => void>();

  attach(run: JoinedRun): void {
    this.run = run;
    this.notify();
  }

  detach(): void {
    if (!this.run) return;
    this.run = null;
    this.notify();
  }

  get current(): JoinedRun | null {
    return this.run;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
