import type { PeerAccount, PeerOutcome } from '../services/round/gather';

export interface PeerTrafficRow {
  uid: number;
  bytes: number;
  lastSeen: number | null;
  lastWindow: number | null;
  lastOutcome: PeerOutcome | null;
  /** Why the last update was not used (unset when it was). */
  lastReason: string | null;
}

/** What this machine received from each peer, gathered window by window (since the app started). */
export class PeerTraffic {
  private readonly rows = new Map<number, PeerTrafficRow>();
  private newest: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  record(window: number, peers: readonly PeerAccount[]): void {
    // A replayed older window (catching up) is not the newest gather.
    if (this.newest === null || window > this.newest) this.newest = window;
    for (const peer of peers) {
      const row = this.rows.get(peer.uid) ?? { uid: peer.uid, bytes: 0, lastSeen: null, lastWindow: null, lastOutcome: null, lastReason: null };
      row.bytes += peer.bytes;
      row.lastWindow = window;
      row.lastOutcome = peer.outcome;
      row.lastReason = peer.outcome === 'accepted' ? null : (peer.reason ?? peer.outcome);
      if (peer.outcome === 'accepted') row.lastSeen = this.now();
      this.rows.set(peer.uid, row);
    }
  }

  /** The newest window gathered, or null before the first. */
  get newestWindow(): number | null {
    return this.newest;
  }

  of(uid: number): PeerTrafficRow | undefined {
    return this.rows.get(uid);
  }
}
