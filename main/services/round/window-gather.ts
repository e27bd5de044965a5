import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../core/logging/logger';
import type { ChainPort } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import type { PayloadVerdict, StagePayloadRequest } from '../../ports/trainer-port';
import type { RoundLedger } from '../earnings/round-ledger';
import { aggregationCandidates } from './aggregation-peers';
import type { CatchUpState } from './catch-up-state';
import type { CheckpointSource } from './checkpoint-source';
import { errorText } from './error-text';
import { gather, type GatherPeer, type PeerAccount } from './gather';
import { lookUntil, settleMargin } from './inclusion';
import { payloadLimitBytes } from './payload-limit';
import type { RoundStatus } from './round-status';

/** One window's gathered updates, as files in uid order, ready for the outer step. */
export interface GatheredWindow {
  window: number;
  files: string[];
  /** With a trainer that stages payloads: the key of each file's payload, decoded once when it was checked; null otherwise. */
  staged: string[] | null;
  ownFile: string | null;
  /** Set when the gather itself failed: the outer step is skipped and the window marked missed. */
  failure: string | null;
}

export interface WindowGatherOptions {
  manifest: RunManifest;
  chain: ChainPort;
  self: { uid: number };
  /** See RoundEngineOptions: where a peer's uploads are read, whose count, who is a miner, how a payload is checked. */
  peerStorage(uid: number): StoragePort | undefined;
  committedBefore?(uid: number, window: number): boolean;
  minerHotkeys?(): ReadonlySet<string> | Promise<ReadonlySet<string>>;
  validatePayload(payload: Uint8Array): Promise<PayloadVerdict>;
  /**
   * The trainer's stagePayload, when it has one: then the gather's check of a
   * payload is the trainer's decode, once, which the outer step applies by
   * key (validatePayload checks a payload only when the trainer cannot).
   */
  stage?(request: StagePayloadRequest): Promise<PayloadVerdict>;
  unstage?(keys: readonly string[]): Promise<void>;
  /** This peer's own bucket as the others read it, for a window gathered again with its stored update. */
  ownAsOthersReadIt(): StoragePort;
  catchUpState?: CatchUpState;
  checkpoints?: CheckpointSource;
  onGather?(window: number, peers: readonly PeerAccount[]): void;
  /** Scratch folder where the gathered payloads are written for the trainer. */
  workDir: string;
  /** Aborted when the peer stops at once (leave('now')); read afresh, as the engine replaces it. */
  stopping(): AbortSignal;
  ledger: RoundLedger;
  status: RoundStatus;
  log: Logger;
  now: () => number;
}

/**
 * Gathers the peers' updates of a window: which peers count (the candidates
 * read at the window's first block, or those aggregated before when a window
 * is gathered again), the download and checks (gather.ts), and the payload
 * files the trainer's outer step reads, in uid order. With a trainer that
 * stages payloads, a downloaded payload is written to its file once and the
 * trainer's stagePayload is its check: decoded there once, and applied by key.
 */
export class WindowGatherer {
  /**
   * Per window, the candidates read at its first block: every peer reads them
   * then, so an epoch that changes incentives later in the window (subtensor's
   * epochs do not follow window starts) does not split the peers' aggregates.
   */
  private readonly candidatesByWindow = new Map<number, Promise<number[] | null>>();
  private warnedCapBeforeDeadline = false;
  /** Set when the publisher's record of a replayed window did not come in time; cleared by the next one found. */
  private recordsLate = false;

  constructor(private readonly options: WindowGatherOptions) {}

  hasCandidates(window: number): boolean {
    return this.candidatesByWindow.has(window);
  }

  /** Reads the window's candidates now (early in it), never as of its end, when an epoch may have changed them. */
  snapshotCandidates(window: number): void {
    const { chain, manifest, minerHotkeys, log } = this.options;
    const read = Promise.all([chain.metagraph(manifest.chain.netuid), minerHotkeys?.()])
      .then(([graph, committed]) => aggregationCandidates(graph.neurons, null, committed).map((n) => n.uid))
      .catch((error: unknown) => {
        log.warn({ window, err: error }, 'could not read the metagraph at the window start');
        return null;
      });
    this.candidatesByWindow.set(window, read);
    for (const w of this.candidatesByWindow.keys()) if (w < window - 16) this.candidatesByWindow.delete(w);
  }

  /**
   * Gathers `window`'s updates; never throws but for a broken ledger. `own`:
   * this peer's update uploaded this window (counted: it counts by the
   * inclusion rule), null when it did not train it. `ownStored`: a window
   * gathered again, whose own stored update counts as the others' do.
   */
  async gatherWindow(window: number, uploadDeadline: number, own: { file: string; counted: boolean } | null, ownStored = false): Promise<GatheredWindow> {
    const { manifest, self, ledger, status, log, now } = this.options;
    const timing = manifest.windows;
    const ownFile = own?.counted ? own.file : null;
    // Gather even after a failed upload, so the model stays in sync with the others.
    const lookingUntil = lookUntil(uploadDeadline, settleMargin(timing));
    if (!this.warnedCapBeforeDeadline && now() + timing.gatherCapSeconds * 1000 < lookingUntil) {
      // The inclusion rule needs every gatherer to look until the deadline; a cap that stops it sooner
      // can leave out an update that landed in time and that other peers count.
      this.warnedCapBeforeDeadline = true;
      log.warn({ window, capSeconds: timing.gatherCapSeconds, secondsToDeadline: (lookingUntil - now()) / 1000 }, 'the gather cap ends before the upload deadline; peers may aggregate different updates');
    }
    const gathering = status.startPhase('gathering', now() + timing.gatherCapSeconds * 1000);
    const files: string[] = [];
    const fileOf = (uid: number): string => path.join(this.options.workDir, `window-${window}-peer-${uid}.tndc`);
    // Payloads the trainer holds decoded, by uid (with a trainer that stages them).
    const stagedKeys = new Map<number, string>();
    try {
      const graph = await this.options.chain.metagraph(manifest.chain.netuid);
      // A window gathered before (and replayed after a restart or a failed step) aggregates the same peers as then.
      // A window this peer never saw (a late joiner's replay): the uids the run's publisher recorded aggregating.
      const recorded =
        this.options.catchUpState?.aggregatedIn(window) ?? (await this.candidatesByWindow.get(window)) ?? (own === null ? await this.publishedAggregate(window) : undefined);
      const counted = recorded
        ? recorded.flatMap((uid) => graph.neurons.filter((n) => n.uid === uid))
        : aggregationCandidates(graph.neurons, null, await this.options.minerHotkeys?.());
      const candidates: GatherPeer[] = [];
      for (const neuron of counted.filter((n) => n.uid !== self.uid)) {
        const storage = this.options.peerStorage(neuron.uid);
        if (storage && (this.options.committedBefore?.(neuron.uid, window) ?? true)) candidates.push({ uid: neuron.uid, storage });
      }
      // Our own update counts only as far as the validators let it, like everyone's.
      const ownCounts = counted.some((n) => n.uid === self.uid);
      // Gathering a window again (a replay): this peer's own stored update counts by the same rule as the others'.
      if (ownStored && ownCounts && (this.options.committedBefore?.(self.uid, window) ?? true)) candidates.unshift({ uid: self.uid, storage: this.options.ownAsOthersReadIt() });
      const stopping = this.options.stopping();
      const result = await gather({
        signal: stopping,
        window,
        protocolVersion: manifest.protocolVersion,
        peers: candidates.slice(0, timing.gatherPeers),
        reserves: candidates.slice(timing.gatherPeers, timing.gatherPeers + timing.reservePeers),
        concurrency: 8,
        perPeerTimeoutMs: timing.perPeerTimeoutSeconds * 1000,
        capMs: timing.gatherCapSeconds * 1000,
        pollIntervalMs: Math.min(1000, timing.blockSeconds * 250),
        appearBy: uploadDeadline,
        settleMs: lookingUntil - uploadDeadline,
        maxPayloadBytes: payloadLimitBytes(manifest),
        validate: (bytes, uid) => (this.options.stage ? this.stageChecked(window, uid, bytes, fileOf(uid), stagedKeys) : this.options.validatePayload(bytes)),
        // A staged payload is in its file already: its bytes need not wait in memory for the rest of the gather.
        keep: (uid) => !stagedKeys.has(uid),
        now,
      });
      // Cut short by a stop: an aggregate of whatever arrived would not be the others'; gathered again on the next join.
      if (stopping.aborted) throw new Error('stopped before the gather finished');
      this.options.onGather?.(window, result.peers);
      for (const peer of result.peers) if (peer.outcome !== 'accepted') log.warn({ window, uid: peer.uid, outcome: peer.outcome, reason: peer.reason }, 'peer update not used');
      // Every peer aggregates in uid order: floating-point sums depend on order,
      // and peers that apply the same updates must end with bit-identical models.
      const byUid: Array<{ uid: number; file: string }> = ownFile && ownCounts ? [{ uid: self.uid, file: ownFile }] : [];
      await fs.mkdir(this.options.workDir, { recursive: true });
      const accepted = new Set(result.accepted);
      // A staged payload is in its file already (written once, before the trainer checked it); the others are written now.
      for (const { uid, payload } of result.payloads) await fs.writeFile(fileOf(uid), payload);
      for (const uid of result.accepted) byUid.push({ uid, file: fileOf(uid) });
      // Checked but not taken (a stop, the cap): not applied, so not kept.
      await this.dropStaged([...stagedKeys].filter(([uid]) => !accepted.has(uid)), fileOf);
      byUid.sort((a, b) => a.uid - b.uid);
      files.push(...byUid.map((entry) => entry.file));
      const staged = this.options.stage ? await this.stagedInOrder(window, byUid, stagedKeys) : null;
      await this.options.catchUpState?.noteAggregated(window, byUid.map((entry) => entry.uid));
      await ledger.append({ window, at: now(), phase: 'gathered', phaseSeconds: { gathering: status.endPhase(gathering) }, transferSeconds: result.transferSeconds, bytesDown: result.bytesDown });
      return { window, files, staged, ownFile: own?.file ?? null, failure: null };
    } catch (error) {
      status.endPhase(gathering);
      log.warn({ window, err: error }, 'gather failed');
      await this.dropStaged([...stagedKeys], fileOf);
      return { window, files, staged: null, ownFile: own?.file ?? null, failure: `gather failed: ${errorText(error)}` };
    }
  }

  /**
   * The gather's check of a payload with a trainer that stages payloads: the
   * bytes go to their file once and the trainer decodes and checks them
   * there, keeping the decoded update for the outer step. When the trainer
   * cannot answer (restarting), the payload is checked here instead, so the
   * verdict stays the codec's on every peer; the outer step stages it then.
   */
  private async stageChecked(window: number, uid: number, bytes: Uint8Array, file: string, stagedKeys: Map<number, string>): Promise<PayloadVerdict> {
    const key = stageKey(window, uid);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    let verdict: PayloadVerdict;
    try {
      verdict = await this.options.stage!({ key, file, expectedK: this.options.manifest.sparseloco.topK });
    } catch (error) {
      this.options.log.warn({ window, uid, err: error }, 'the trainer could not check a payload; checked here');
      verdict = await this.options.validatePayload(bytes);
    }
    // Keyed even when checked here: the outer step stages what the trainer does not hold.
    if (verdict.ok) stagedKeys.set(uid, key);
    else await fs.rm(file, { force: true });
    return verdict;
  }

  /** The staged keys in the outer step's (uid) order; this peer's own update is staged now (it was never downloaded). */
  private async stagedInOrder(window: number, byUid: ReadonlyArray<{ uid: number; file: string }>, stagedKeys: Map<number, string>): Promise<string[]> {
    const keys: string[] = [];
    for (const { uid, file } of byUid) {
      const known = stagedKeys.get(uid);
      if (known) {
        keys.push(known);
        continue;
      }
      // Its own update: staged from the file the trainer wrote (a failure leaves it to the outer step, which stages again).
      const key = stageKey(window, uid);
      try {
        const verdict = await this.options.stage!({ key, file });
        if (!verdict.ok) this.options.log.warn({ window, reason: verdict.reason }, 'own update refused by the trainer\u2019s check; the outer step drops it');
      } catch (error) {
        this.options.log.warn({ window, err: error }, 'could not stage the own update; the outer step stages it');
      }
      keys.push(key);
    }
    return keys;
  }

  private async dropStaged(entries: Array<[number, string]>, fileOf: (uid: number) => string): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all(entries.map(([uid]) => fs.rm(fileOf(uid), { force: true })));
    await this.options.unstage?.(entries.map(([, key]) => key)).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not unstage payloads'));
  }

  /**
   * The uids the run's publisher recorded aggregating in `window`, waited for
   * (it comes once the window is validated) for up to two windows: the
   * subnet's candidates as they are now may differ from that window's (an
   * epoch in between changes the incentives that pick them). Undefined
   * without a publisher, or when none came in time.
   */
  private async publishedAggregate(window: number): Promise<readonly number[] | undefined> {
    const { checkpoints: source, manifest, status, log, now } = this.options;
    if (!source?.aggregatedIn) return undefined;
    const t = manifest.windows;
    // A publisher that stopped writing records is not waited for window after window: once is enough until one comes.
    const giveUpAt = this.recordsLate ? now() : now() + 2 * t.blocksPerWindow * t.blockSeconds * 1000;
    const signal = this.options.stopping();
    for (;;) {
      const uids = await source.aggregatedIn(window).catch(() => null);
      if (uids) {
        this.recordsLate = false;
        return uids;
      }
      if (now() >= giveUpAt || signal.aborted) {
        this.recordsLate = true;
        log.warn({ window }, 'no record of whom the run aggregated in this window; replaying it with the subnet\u2019s candidates as they are now');
        return undefined;
      }
      status.update({ blocker: `Catching up: waiting for the run's record of window ${window}.` });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }
}

/** The key a gathered payload is staged under in the trainer. */
export function stageKey(window: number, uid: number): string {
  return `${window}/${uid}`;
}

/**
 * Deletes a gathered window's payload files (its own update's included):
 * dropped, or applied for good; and what the trainer holds staged of them.
 */
export async function deletePayloadFiles(gathered: GatheredWindow, trainer?: { unstage?(keys: readonly string[]): Promise<void> }): Promise<void> {
  const files = new Set([...gathered.files, ...(gathered.ownFile ? [gathered.ownFile] : [])]);
  await Promise.all([...files].map((f) => fs.rm(f, { force: true })));
  // Best effort: an unstage lost with a dead trainer went with its process anyway.
  if (gathered.staged && gathered.staged.length > 0) await trainer?.unstage?.(gathered.staged).catch(() => undefined);
}
