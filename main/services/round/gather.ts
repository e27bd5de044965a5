import pLimit from 'p-limit';
import { gradientKey } from '../../ports/object-keys';
import { StorageError, type StorageObject, type StoragePort } from '../../ports/storage-port';
import type { PayloadVerdict } from '../../ports/trainer-port';
import { inclusionVerdict, lookUntil, type InclusionVerdict } from './inclusion';

export interface GatherPeer {
  uid: number;
  storage: StoragePort;
}

// One verdict for a payload, whoever checks it (the codec here, or the trainer's staging).
export type { PayloadVerdict };

export interface GatherOptions {
  window: number;
  protocolVersion: string;
  /** The peers whose updates this window should aggregate. */
  peers: readonly GatherPeer[];
  /** Tried, in order, in place of peers that fail. */
  reserves?: readonly GatherPeer[];
  concurrency: number;
  /** How long one peer's object may take to appear and download. */
  perPeerTimeoutMs: number;
  /** The whole gather ends by then, whatever is still running. */
  capMs: number;
  /** Ends the gather at once (the peer stops): what was not read by then is left out. */
  signal?: AbortSignal;
  /** Between polls while a peer's object is not there yet. */
  pollIntervalMs?: number;
  /**
   * Epoch ms of the window's upload deadline, the canonical inclusion rule
   * (see inclusion.ts): an object whose storage timestamp is later is 'late'
   * and not used, even when it is there; one still absent is looked for until
   * the deadline plus `settleMs` has passed, whatever the per-peer timeout
   * (which then bounds the download only), and never past the cap. A
   * catch-up of a past window looks once.
   */
  appearBy?: number;
  /** How long past `appearBy` a missing object is still looked for (storage visibility lag). */
  settleMs?: number;
  maxPayloadBytes: number;
  /** Checks a payload before anything else sees it (the codec's validate). */
  validate(payload: Uint8Array, uid: number): Promise<PayloadVerdict> | PayloadVerdict;
  /**
   * Whether the result keeps an accepted payload's bytes (default: yes). A
   * caller whose check put them where it needs them (a file the trainer
   * staged) says no: a window of twenty 1.2 GB updates (72B) is then never
   * held in memory at once.
   */
  keep?(uid: number): boolean;
  now?: () => number;
}

export type PeerOutcome = 'accepted' | 'rejected' | 'missing' | 'late' | 'failed';

export interface PeerAccount {
  uid: number;
  outcome: PeerOutcome;
  bytes: number;
  seconds: number;
  reason?: string;
  reserve: boolean;
  /** When the update was stored (epoch ms), where the gather learnt it: the validator judges order and lateness by it without asking again. */
  storedAt?: number;
}

export interface GatherResult {
  /** The accepted updates whose bytes were kept (see `keep`), in uid order. */
  payloads: Array<{ uid: number; payload: Uint8Array }>;
  /** Every accepted update's uid, kept or not, in order. */
  accepted: number[];
  peers: PeerAccount[];
  bytesDown: number;
  seconds: number;
  /**
   * Seconds during which at least one update was downloading (the union of
   * the successful downloads' spans): the transfer itself, without the wait
   * for peers to upload that `seconds` includes.
   */
  transferSeconds: number;
}

/** The length of the union of [start, end] spans (ms), in seconds. */
export function coveredSeconds(spans: ReadonlyArray<readonly [number, number]>): number {
  let total = 0;
  let reach = -Infinity;
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (end <= reach) continue;
    total += end - Math.max(start, reach);
    reach = end;
  }
  return total / 1000;
}

/** Waits `ms` or until `signal` aborts, leaving no listener behind (a gather polls many times on one signal). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** The inclusion rule for an object just downloaded: its storage timestamp (asked for with a HEAD) against the deadline. */
async function inclusionOf(peer: GatherPeer, key: string, deadline: number, signal: AbortSignal, seen: { object: StorageObject | null }): Promise<InclusionVerdict> {
  try {
    seen.object = await peer.storage.head(key, { signal });
    return inclusionVerdict(seen.object, deadline);
  } catch (error) {
    // Without its timestamp the update cannot be shown to be on time, so it cannot count.
    return { counts: false, outcome: 'failed', reason: `could not read the upload time (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * Downloads this window's updates from the chosen peers in parallel. A peer
 * that is late, unreachable or sends a payload that fails validation is
 * replaced by the next reserve; one bad peer never stops the gather.
 */
export async function gather(options: GatherOptions): Promise<GatherResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const cap = new AbortController();
  const capTimer = setTimeout(() => cap.abort(), options.capMs);
  if (options.signal?.aborted) cap.abort();
  options.signal?.addEventListener('abort', () => cap.abort(), { once: true });
  const limit = pLimit(options.concurrency);
  const reserves = [...(options.reserves ?? [])];
  const accounts: PeerAccount[] = [];
  const payloads: GatherResult['payloads'] = [];
  const accepted: number[] = [];
  const downloads: Array<[number, number]> = [];

  async function fetchPeer(peer: GatherPeer, reserve: boolean): Promise<PeerAccount> {
    const peerStart = now();
    const key = gradientKey(options.window, peer.uid, options.protocolVersion);
    const lookingUntil = options.appearBy === undefined ? undefined : lookUntil(options.appearBy, options.settleMs ?? 0);
    const deadline = new AbortController();
    // With an upload deadline the per-peer timeout starts once looking is over, so it never cuts the look short.
    const timer = setTimeout(() => deadline.abort(), Math.max(0, (lookingUntil ?? peerStart) - peerStart) + options.perPeerTimeoutMs);
    // The update's size and date, from its download's response or a HEAD (an object: a callback fills it).
    const stored: { object: StorageObject | null } = { object: null };
    const signal = AbortSignal.any([deadline.signal, cap.signal]);
    const account = (outcome: PeerOutcome, bytes: number, reason?: string): PeerAccount => ({
      uid: peer.uid,
      outcome,
      bytes,
      seconds: (now() - peerStart) / 1000,
      reserve,
      ...(reason === undefined ? {} : { reason }),
      ...(stored.object ? { storedAt: stored.object.lastModified.getTime() } : {}),
    });
    let result: PeerAccount;
    try {
      let payload: Uint8Array | null = null;
      let lastError: string | undefined;
      while (!signal.aborted) {
        try {
          const getStart = now();
          payload = await peer.storage.get(key, { signal, maxBytes: options.maxPayloadBytes, onStored: (object) => (stored.object = object) });
          if (payload) downloads.push([getStart, now()]);
          lastError = undefined;
        } catch (error) {
          if (error instanceof StorageError && error.code === 'TOO_LARGE') throw error;
          lastError = error instanceof Error ? error.message : String(error);
        }
        if (payload) break;
        if (lookingUntil !== undefined && now() >= lookingUntil) break;
        await sleep(options.pollIntervalMs ?? 1000, signal);
      }
      // The date came with the bytes where the store sends it there; otherwise one HEAD asks for it.
      const verdict = payload && options.appearBy !== undefined ? (stored.object ? inclusionVerdict(stored.object, options.appearBy) : await inclusionOf(peer, key, options.appearBy, signal, stored)) : null;
      if (!payload) {
        const late = lookingUntil !== undefined && now() >= lookingUntil && !signal.aborted;
        const why = late ? 'not uploaded by the deadline' : cap.signal.aborted ? 'gather cap reached' : `no update within ${options.perPeerTimeoutMs / 1000} s`;
        result = account(lastError ? 'failed' : 'missing', 0, lastError ? `${why} (${lastError})` : why);
      } else if (verdict && !verdict.counts) {
        // Gone between the download and the look at its timestamp reads as missing; both are left out.
        result = account(verdict.outcome, payload.byteLength, verdict.reason);
      } else {
        const valid = await options.validate(payload, peer.uid);
        if (valid.ok) {
          accepted.push(peer.uid);
          if (options.keep?.(peer.uid) ?? true) payloads.push({ uid: peer.uid, payload });
          result = account('accepted', payload.byteLength);
        } else {
          result = account('rejected', payload.byteLength, valid.reason);
        }
      }
    } catch (error) {
      result = account('rejected', 0, error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
    accounts.push(result);
    return result;
  }

  // A failed slot goes to the next reserve, while the gather still has time.
  // The reserve is queued after the failed fetch has released its slot, so a
  // concurrency of 1 cannot deadlock.
  async function fill(peer: GatherPeer, reserve: boolean): Promise<void> {
    const result = await limit(() => fetchPeer(peer, reserve));
    if (result.outcome === 'accepted' || cap.signal.aborted) return;
    const next = reserves.shift();
    if (next) await fill(next, true);
  }

  try {
    await Promise.all(options.peers.map((peer) => fill(peer, false)));
  } finally {
    clearTimeout(capTimer);
  }
  return {
    payloads: payloads.sort((a, b) => a.uid - b.uid),
    accepted: accepted.sort((a, b) => a - b),
    peers: accounts.sort((a, b) => a.uid - b.uid),
    bytesDown: accounts.reduce((sum, a) => sum + a.bytes, 0),
    seconds: (now() - started) / 1000,
    transferSeconds: coveredSeconds(downloads),
  };
}
