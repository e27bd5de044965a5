import pLimit from 'p-limit';
import { gradientKey } from '../storage/object-keys';
import { StorageError, type StoragePort } from '../storage/storage-port';

export interface GatherPeer {
  uid: number;
  storage: StoragePort;
}

export type PayloadVerdict = { ok: true } | { ok: false; reason: string };

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
  /** Between polls while a peer's object is not there yet. */
  pollIntervalMs?: number;
  maxPayloadBytes: number;
  /** Checks a payload before anything else sees it (the codec's validate). */
  validate(payload: Uint8Array, uid: number): Promise<PayloadVerdict> | PayloadVerdict;
  now?: () => number;
}

export type PeerOutcome = 'accepted' | 'rejected' | 'missing' | 'failed';

export interface PeerAccount {
  uid: number;
  outcome: PeerOutcome;
  bytes: number;
  seconds: number;
  reason?: string;
  reserve: boolean;
}

export interface GatherResult {
  payloads: Array<{ uid: number; payload: Uint8Array }>;
  peers: PeerAccount[];
  bytesDown: number;
  seconds: number;
}

// The abort listener goes when the timer fires: a peer polled many times must not pile listeners up.
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

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
  const limit = pLimit(options.concurrency);
  const reserves = [...(options.reserves ?? [])];
  const accounts: PeerAccount[] = [];
  const payloads: GatherResult['payloads'] = [];

  async function fetchPeer(peer: GatherPeer, reserve: boolean): Promise<PeerAccount> {
    const peerStart = now();
    const key = gradientKey(options.window, peer.uid, options.protocolVersion);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), options.perPeerTimeoutMs);
    const signal = AbortSignal.any([deadline.signal, cap.signal]);
    const account = (outcome: PeerOutcome, bytes: number, reason?: string): PeerAccount => ({
      uid: peer.uid,
      outcome,
      bytes,
      seconds: (now() - peerStart) / 1000,
      reserve,
      ...(reason === undefined ? {} : { reason }),
    });
    let result: PeerAccount;
    try {
      let payload: Uint8Array | null = null;
      let lastError: string | undefined;
      while (!signal.aborted) {
        try {
          payload = await peer.storage.get(key, { signal, maxBytes: options.maxPayloadBytes });
          lastError = undefined;
        } catch (error) {
          if (error instanceof StorageError && error.code === 'TOO_LARGE') throw error;
          lastError = error instanceof Error ? error.message : String(error);
        }
        if (payload) break;
        await sleep(options.pollIntervalMs ?? 1000, signal);
      }
      if (!payload) {
        const why = cap.signal.aborted ? 'gather cap reached' : `no update within ${options.perPeerTimeoutMs / 1000} s`;
        result = account(lastError ? 'failed' : 'missing', 0, lastError ? `${why} (${lastError})` : why);
      } else {
        const verdict = await options.validate(payload, peer.uid);
        if (verdict.ok) {
          payloads.push({ uid: peer.uid, payload });
          result = account('accepted', payload.byteLength);
        } else {
          result = account('rejected', payload.byteLength, verdict.reason);
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
    peers: accounts.sort((a, b) => a.uid - b.uid),
    bytesDown: accounts.reduce((sum, a) => sum + a.bytes, 0),
    seconds: (now() - started) / 1000,
  };
}
