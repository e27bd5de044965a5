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

  constructor(private readonly now: () => number = Date.now) {}

  record(window: number, peers: readonly PeerAccount[]): void {
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

  of(uid: number): PeerTrafficRow | undefined {
    return this.rows.get(uid);
  }
}
