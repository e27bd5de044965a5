import fs from 'node:fs/promises';
import { payloadLimitBytes } from './payload-limit';
import path from 'node:path';
import type { PhaseSpan, RoundState } from '../../../contract/domains/round';
import type { TrainerPhase } from '../../../contract/state';
import type { ChainBlock, ChainPort } from '../../ports/chain-port';
import type { RoundLedger } from '../earnings/round-ledger';
import type { Logger } from '../../core/logging/logger';
import type { RunManifest } from '../../ports/run-manifest';
import { windowOf } from './window-clock';
import { expiredWindowKeys, gradientKey } from '../../ports/object-keys';
import type { StoragePort } from '../../ports/storage-port';
import { ModelBasis, encodeSyncReport, syncReportKey, type SyncReport } from './sync-report';
import { aggregationCandidates } from './aggregation-peers';
import type { CatchUpState } from './catch-up-state';
import { ModelAudit, type Divergence } from './model-audit';
import type { CheckpointSource, RestoredCheckpoint } from './checkpoint-source';
import type { WindowData } from './window-data';
import { gather, type GatherPeer, type PayloadVerdict, type PeerAccount } from './gather';
import { ChainWindowTimes } from './chain-window-times';
import { inclusionVerdict, lookUntil, settleMargin, type InclusionVerdict } from './inclusion';
import type { TrainerPort } from '../../ports/trainer-port';

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

/** One window's gathered updates, as files in uid order, ready for the outer step. */
interface GatheredWindow {
  window: number;
  files: string[];
  ownFile: string | null;
  /** Set when the gather itself failed: the outer step is skipped and the window marked missed. */
  failure: string | null;
}

/** A window whose aggregate did not get applied: its files kept for a second try, or none when it must be gathered again. */
interface Replay {
  window: number;
  gathered: GatheredWindow | null;
}

const LOSS_HISTORY = 600;


/**
 * Runs the rounds: each window it trains, uploads its compressed update,
 * gathers the others', and applies the aggregate, with the communication of
 * one window overlapping the next window's training. The chain's blocks drive
 * it; a fault in one phase marks that window, never the next ones.
 */
export class RoundEngine {
  private state: RoundState;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** The last window whose aggregate is applied or on its way (gathering). */
  private lastCovered: number | null = null;
  /** Windows whose upload and gather run beside the trainer, oldest first. */
  private inFlight: Array<{ window: number; gathered: Promise<GatheredWindow> }> = [];
  /**
   * Windows whose outer step failed (a trainer error, a failed gather): the
   * weights went back to the window's start, and the aggregate is applied
   * again before the next window trains, so the peer rejoins the global model.
   */
  private replays: Replay[] = [];
  private readonly overlap: boolean;
  /** The model this peer trains from, reported beside each update for the validators' sync check. */
  private readonly basis = new ModelBasis();
  /** This peer's digest after each window against the run's record, when the run publishes one. */
  private readonly audit: ModelAudit | null;
  /** Set when the audit found this peer's model apart from the run's, until the run's checkpoint repairs it. */
  private diverged: Divergence | null = null;
  private leaveAfterRound = false;
  private readonly now: () => number;
  private readonly log: Logger;
  /** Window ends and upload deadlines from the chain's blocks, the same on every peer. */
  private readonly times: ChainWindowTimes;
  private warnedCapBeforeDeadline = false;
  /**
   * Per window, the candidates read at its first block: every peer reads them
   * then, so an epoch that changes incentives later in the window (subtensor's
   * epochs do not follow window starts) does not split the peers' aggregates.
   */
  private readonly candidatesByWindow = new Map<number, Promise<number[] | null>>();
  /** Whether join() has read where the trainer's weights stand (once per engine). */
  private resumed = false;
  /** The last window whose own old objects were swept (retention). */
  private sweptAt: number | null = null;

  /** This peer's bucket: where it uploads, and how the others read it (swapped when the user changes the keys). */
  private own: { storage: StoragePort; readBack: StoragePort | undefined };

  constructor(private readonly options: RoundEngineOptions) {
    const checkpoints = options.checkpoints;
    this.audit = checkpoints?.recordedDigest ? new ModelAudit({ recordedDigest: (w) => checkpoints.recordedDigest!(w) }) : null;
    this.own = { storage: options.storage, readBack: options.ownReadBack };
    this.now = options.now ?? Date.now;
    this.overlap = options.overlapCommunication ?? true;
    this.log = options.logger.child({ source: 'round' });
    this.times = new ChainWindowTimes(options.chain, options.manifest.windows, this.log);
    this.state = {
      joined: false,
      network: options.manifest.chain.network,
      window: null,
      block: null,
      windowProgress: 0,
      windowEndsAt: null,
      phase: 'idle',
      timeline: [],
      innerStep: 0,
      innerSteps: options.manifest.sparseloco.innerSteps,
      etaSeconds: null,
      tokensPerSecond: null,
      loss: null,
      lossHistory: [],
      completedRounds: 0,
      lastRound: null,
      blocker: 'Not joined yet.',
    };
  }

  /**
   * Uploads go to `storage` from the next upload on (new keys or a new
   * bucket, from Settings → Storage); `readBack` is how the others read it.
   */
  useStorage(storage: StoragePort, readBack?: StoragePort): void {
    this.own = { storage, readBack };
  }

  get current(): RoundState {
    return this.state;
  }

  async join(): Promise<RoundState> {
    this.leaveAfterRound = false;
    if (!this.resumed) {
      this.resumed = true;
      await this.resume();
    }
    if (!this.unsubscribe) {
      this.unsubscribe = await this.options.chain.subscribeBlocks((block) => this.onBlock(block));
      this.log.info({ uid: this.options.self.uid }, 'joined the run');
    }
    this.update({ joined: true, blocker: null, phase: this.running ? this.state.phase : 'syncing' });
    return this.state;
  }

  /**
   * A restarted peer starts from the window its trainer's checkpoint holds:
   * the windows since are replayed (catch-up) before it trains again, so it
   * rejoins the global model instead of training from its own stale one.
   */
  private async resume(): Promise<void> {
    let applied: number | null = null;
    try {
      applied = (await this.options.trainer.appliedWindow?.()) ?? null;
    } catch (error) {
      this.log.warn({ err: error }, 'could not ask the trainer which window its weights hold');
    }
    applied ??= this.options.catchUpState?.lastApplied ?? null;
    if (applied !== null && this.lastCovered === null) {
      this.lastCovered = applied;
      this.basis.window = applied;
      this.log.info({ window: applied }, 'resuming: the model holds this window\'s aggregate; later windows are replayed before training');
    }
  }

  /**
   * 'after-round' lets the window in progress finish, its communication and
   * outer step included; 'now' stops taking new windows at once (an aggregate
   * still in flight is applied on the next join, or replayed by catch-up).
   */
  async leave(when: 'now' | 'after-round', reason = 'Paused by you.'): Promise<RoundState> {
    if (when === 'after-round') {
      this.leaveAfterRound = true;
      await this.running;
      await this.replayFailed();
      await this.applyInFlight(Number.POSITIVE_INFINITY);
      await this.replayFailed();
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (when === 'now') {
      this.stopping.abort();
      this.stopping = new AbortController();
    }
    this.update({ joined: false, phase: 'paused', blocker: reason });
    return this.state;
  }

  /**
   * Waits for the window in progress and for the uploads and gathers still in
   * flight (they never reject), so nothing writes to storage or the ledger
   * afterwards (tests and graceful shutdown).
   */
  async settle(): Promise<void> {
    await this.running;
    await Promise.all(this.inFlight.map((f) => f.gathered));
    await Promise.all(this.background);
  }

  /** Aborted by leave('now'): gathers in flight end at once rather than at their deadline. */
  private stopping = new AbortController();

  /** Work that runs on its own (the retention sweep): settle() waits for it too. */
  private readonly background = new Set<Promise<void>>();

  private onBlock(block: ChainBlock): void {
    const timing = this.options.manifest.windows;
    const position = windowOf(block.number, timing.blocksPerWindow);
    this.times.observe(block);
    if (position.blockInWindow === 0 && !this.candidatesByWindow.has(position.window)) this.snapshotCandidates(position.window);
    this.update({
      block: block.number,
      windowProgress: position.progress,
      windowEndsAt: this.times.endsAt(position.window, this.now() + (timing.blocksPerWindow - position.blockInWindow) * timing.blockSeconds * 1000),
    });
    this.startDueWindow(block.number);
  }

  /** Starts the window `block` is in, when the engine is free and has not trained it yet. */
  private startDueWindow(block: number): void {
    const timing = this.options.manifest.windows;
    const position = windowOf(block, timing.blocksPerWindow);
    if (this.running || !this.state.joined || this.leaveAfterRound) return;
    // Join at the start of a window only: a window half gone cannot be trained in full.
    if (this.state.window === null && position.blockInWindow > Math.floor(timing.blocksPerWindow / 4)) {
      this.update({ blocker: `Waiting for window ${position.window + 1} to start.` });
      return;
    }
    if (this.state.window !== null && position.window <= this.state.window) return;
    // A window joined after its first block: its candidates as of now (early in it), never as of its end, when
    // an epoch may have changed the incentives that pick them.
    if (!this.candidatesByWindow.has(position.window)) this.snapshotCandidates(position.window);
    this.running = this.runWindow(position.window)
      .catch((error: unknown) => this.log.error({ err: error }, 'round failed'))
      .finally(() => {
        this.running = undefined;
        // Leaving after the round: the leave('after-round') waiting on this window finishes the leave
        // (its last outer step included). Otherwise a window that ran long finds the next one
        // already started: begin it now, not at the next block.
        if (!this.leaveAfterRound && this.state.block !== null) this.startDueWindow(this.state.block);
      });
  }

  private async runWindow(window: number): Promise<void> {
    const { manifest, self, ledger } = this.options;
    const windowEnd = this.times.endsAt(window, this.state.windowEndsAt ?? this.now());
    // Asked now so the answer is in by the upload, which needs it for the deadline.
    void this.times.learnStart(window);
    // Spans still open (last window's upload or gather) stay on the timeline.
    this.update({ window, timeline: this.state.timeline.filter((s) => s.endedAt === null), innerStep: 0, etaSeconds: null, blocker: null });

    // Older than anything in flight, so first: the window's aggregate order stays the global one.
    await this.replayFailed();
    if (!(await this.reachModel(window))) return;
    const shards = await this.windowShards(window);
    if (shards === null) return;

    // Train.
    const training = this.startPhase('training', windowEnd);
    const payloadFile = path.join(this.options.workDir, `window-${window}.tndc`);
    await fs.mkdir(this.options.workDir, { recursive: true });
    let trained;
    try {
      trained = await this.options.trainer.trainWindow({ window, innerSteps: manifest.sparseloco.innerSteps, peerUid: self.uid, payloadFile, ...(shards ? { shards } : {}) }, (p) => {
        const history = [...this.state.lossHistory, { window, step: p.step, loss: p.loss }].slice(-LOSS_HISTORY);
        const remaining = p.steps - p.step;
        const perStep = p.step > 0 ? (this.now() - training.startedAt) / 1000 / p.step : null;
        this.update({ innerStep: p.step, innerSteps: p.steps, loss: p.loss, tokensPerSecond: p.tokensPerSecond, lossHistory: history, etaSeconds: perStep === null ? null : remaining * perStep });
      });
    } catch (error) {
      await this.missWindow(training, window, `training failed: ${errorText(error)}`);
      // Back to where the window started (a trainer that failed without dying may hold half a
      // window), then the previous window's aggregate still applies: the model stays the global one.
      await this.revertWindow(window);
      await this.applyInFlight(window - 1);
      // Even a first window that failed is replayed from the others' updates next window.
      this.lastCovered ??= window - 1;
      return;
    }
    const trainSeconds = this.endPhase(training);
    await ledger.append({ window, at: this.now(), phase: 'trained', phaseSeconds: { training: trainSeconds }, loss: trained.loss });

    // Upload and gather run on their own; the trainer is free as soon as they start.
    const payload = new Uint8Array(await fs.readFile(trained.payloadFile));
    const uploadDeadline = await this.uploadDeadlineOf(window);
    // The sync report names the model this window trained from: taken now, before the previous aggregate is applied.
    const gathered = this.communicate(window, uploadDeadline, { file: trained.payloadFile, payload, syncReport: this.basis.report(window) })
      // Only a broken ledger gets here; a rejection nobody awaits (after leave('now')) must not take the process down.
      .catch((error: unknown): GatheredWindow => ({ window, files: [], ownFile: trained.payloadFile, failure: `communication failed: ${errorText(error)}` }));
    this.inFlight.push({ window, gathered });
    this.lastCovered = window;

    // Overlapped: apply the previous window's aggregate (gathered while this
    // window trained) and let the next window train while this one's
    // communication runs: a one-window-delayed outer step. Every peer applies
    // the same aggregates in the same order, so the global model is the same
    // as without the delay; only the starting point of each window's inner
    // steps is one aggregate older. In turn: wait for this window's.
    // Something must take the weights from this peer's own back to the global
    // model before the next window trains: with no previous aggregate in
    // flight (the first window, or after a catch-up) that is a revert to
    // where this window started.
    if (!this.overlap) await this.applyInFlight(window);
    else if (this.inFlight.some((f) => f.window === window - 1)) await this.applyInFlight(window - 1);
    else await this.revertWindow(window);
    this.update({ phase: this.openSpans().at(-1)?.phase ?? 'idle' });
  }

  private snapshotCandidates(window: number): void {
    const read = Promise.all([this.options.chain.metagraph(this.options.manifest.chain.netuid), this.options.minerHotkeys?.()])
      .then(([graph, committed]) => aggregationCandidates(graph.neurons, null, committed).map((n) => n.uid))
      .catch((error: unknown) => {
        this.log.warn({ window, err: error }, 'could not read the metagraph at the window start');
        return null;
      });
    this.candidatesByWindow.set(window, read);
    for (const w of this.candidatesByWindow.keys()) if (w < window - 16) this.candidatesByWindow.delete(w);
  }

  private async revertWindow(window: number): Promise<void> {
    try {
      await this.options.trainer.revertWindow(window);
    } catch (error) {
      // A trainer that died restarts from its checkpoint, which holds the model before this window anyway.
      this.log.warn({ window, err: error }, 'could not revert to the start of the window');
    }
  }

  /** Uploads this window's own update (when there is one) and gathers the others'; never throws. */
  private async communicate(window: number, uploadDeadline: number, own: { file: string; payload: Uint8Array; syncReport: SyncReport } | null, ownStored = false): Promise<GatheredWindow> {
    const { manifest, self, ledger } = this.options;
    const timing = manifest.windows;
    let ownFile: string | null = null;
    if (own) {
      const uploading = this.startPhase('uploading', uploadDeadline);
      try {
        await this.own.storage.put(syncReportKey(window, self.uid, manifest.protocolVersion), encodeSyncReport(own.syncReport));
      } catch (error) {
        this.log.warn({ window, err: error }, 'sync report not uploaded');
      }
      try {
        const key = gradientKey(window, self.uid, manifest.protocolVersion);
        await this.putBeforeDeadline(key, own.payload, uploadDeadline);
        // The inclusion rule holds for this peer's own update too: stored after the deadline, no other
        // peer counts it, so counting it here would put this peer off the global model.
        const inclusion = await this.ownInclusion(key, uploadDeadline, window);
        if (inclusion.counts) {
          ownFile = own.file;
          await ledger.append({ window, at: this.now(), phase: 'uploaded', phaseSeconds: { uploading: this.endPhase(uploading) }, bytesUp: own.payload.byteLength });
        } else {
          this.endPhase(uploading);
          const why = inclusion.outcome === 'late' ? `upload too late to count: ${inclusion.reason}` : `own update left out: ${inclusion.reason}`;
          await ledger.append({ window, at: this.now(), phase: 'missed', reason: why, bytesUp: own.payload.byteLength });
          this.log.warn({ window, reason: inclusion.reason }, 'own update does not count; it is left out of the aggregate as the others leave it out');
        }
      } catch (error) {
        this.endPhase(uploading);
        await ledger.append({ window, at: this.now(), phase: 'missed', reason: `upload failed: ${errorText(error)}` });
        this.log.warn({ window, err: error }, 'upload failed; this window earns nothing, training goes on');
      }
    }
    // Gather even after a failed upload, so the model stays in sync with the others.
    const lookingUntil = lookUntil(uploadDeadline, settleMargin(timing));
    if (!this.warnedCapBeforeDeadline && this.now() + timing.gatherCapSeconds * 1000 < lookingUntil) {
      // The inclusion rule needs every gatherer to look until the deadline; a cap that stops it sooner
      // can leave out an update that landed in time and that other peers count.
      this.warnedCapBeforeDeadline = true;
      this.log.warn({ window, capSeconds: timing.gatherCapSeconds, secondsToDeadline: (lookingUntil - this.now()) / 1000 }, 'the gather cap ends before the upload deadline; peers may aggregate different updates');
    }
    const gathering = this.startPhase('gathering', this.now() + timing.gatherCapSeconds * 1000);
    const files: string[] = [];
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
      if (ownStored && ownCounts && (this.options.committedBefore?.(self.uid, window) ?? true)) candidates.unshift({ uid: self.uid, storage: this.own.readBack ?? this.own.storage });
      const stopping = this.stopping.signal;
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
        validate: (bytes) => this.options.validatePayload(bytes),
        now: this.now,
      });
      // Cut short by a stop: an aggregate of whatever arrived would not be the others'; gathered again on the next join.
      if (stopping.aborted) throw new Error('stopped before the gather finished');
      this.options.onGather?.(window, result.peers);
      for (const peer of result.peers) if (peer.outcome !== 'accepted') this.log.warn({ window, uid: peer.uid, outcome: peer.outcome, reason: peer.reason }, 'peer update not used');
      // Every peer aggregates in uid order: floating-point sums depend on order,
      // and peers that apply the same updates must end with bit-identical models.
      const byUid: Array<{ uid: number; file: string }> = ownFile && ownCounts ? [{ uid: self.uid, file: ownFile }] : [];
      await fs.mkdir(this.options.workDir, { recursive: true });
      for (const { uid, payload } of result.payloads) {
        const file = path.join(this.options.workDir, `window-${window}-peer-${uid}.tndc`);
        await fs.writeFile(file, payload);
        byUid.push({ uid, file });
      }
      files.push(...byUid.sort((a, b) => a.uid - b.uid).map((entry) => entry.file));
      await this.options.catchUpState?.noteAggregated(window, byUid.map((entry) => entry.uid));
      await ledger.append({ window, at: this.now(), phase: 'gathered', phaseSeconds: { gathering: this.endPhase(gathering) }, bytesDown: result.bytesDown });
      return { window, files, ownFile: own?.file ?? null, failure: null };
    } catch (error) {
      this.endPhase(gathering);
      this.log.warn({ window, err: error }, 'gather failed');
      return { window, files, ownFile: own?.file ?? null, failure: `gather failed: ${errorText(error)}` };
    }
  }

  /**
   * Uploads with retries and backoff until the deadline: a bucket that blinks
   * mid-upload costs an attempt, not the window. S3 makes an object visible
   * only once whole (a multipart upload on completion), so no attempt ever
   * leaves a partial payload for the others to read.
   */
  private async putBeforeDeadline(key: string, payload: Uint8Array, deadline: number): Promise<void> {
    const attempts = this.options.uploadAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.own.storage.put(key, payload, { signal: AbortSignal.timeout(Math.max(1000, deadline - this.now())) });
        return;
      } catch (error) {
        const backoffMs = Math.min(8000, 500 * 2 ** (attempt - 1));
        if (attempt >= attempts || this.now() + backoffMs >= deadline) throw error;
        this.log.warn({ key, attempt, err: error }, 'upload failed; trying again before the deadline');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  /** The inclusion rule applied to this peer's own stored update. */
  private async ownInclusion(key: string, uploadDeadline: number, window: number): Promise<InclusionVerdict> {
    if (this.options.committedBefore && !this.options.committedBefore(this.options.self.uid, window)) {
      return { counts: false, outcome: 'failed', reason: 'this peer\u2019s storage commitment went on chain during the window, after the others read the commitments; it counts from the next window' };
    }
    const readBack = this.own.readBack;
    if (readBack) {
      try {
        return inclusionVerdict(await readBack.head(key), uploadDeadline);
      } catch (error) {
        return { counts: false, outcome: 'failed', reason: `the others cannot read it through the published read key (${errorText(error)})` };
      }
    }
    try {
      return inclusionVerdict(await this.own.storage.head(key), uploadDeadline);
    } catch (error) {
      // The put succeeded; a storage that cannot say when is taken at its word, as the gatherers' reads decide.
      this.log.warn({ key, err: error }, 'could not read the upload time of the own update');
      return { counts: true };
    }
  }

  /** Applies, in window order, the aggregates in flight up to `upTo`. */
  private async applyInFlight(upTo: number): Promise<void> {
    for (let next = this.inFlight[0]; next && next.window <= upTo; next = this.inFlight[0]) {
      this.inFlight.shift();
      await this.applyGathered(await next.gathered);
      if (this.options.checkpointEvery && next.window % this.options.checkpointEvery === 0) await this.options.trainer.checkpoint(next.window);
      const summary = (await this.options.ledger.summaries()).find((s) => s.window === next!.window) ?? null;
      this.update({ completedRounds: this.state.completedRounds + 1, lastRound: summary });
    }
  }

  /**
   * Applies one window's aggregate. When that fails, the weights go back to
   * the start of the window pending (never left on this peer's own trained
   * weights, off the global model) and the window is queued to be applied
   * again before the next one trains; a replay that fails too is given up.
   */
  private async applyGathered(gathered: GatheredWindow, replay = false): Promise<void> {
    const { window, files, ownFile, failure } = gathered;
    const { manifest, ledger } = this.options;
    const applying = this.startPhase('applying', null);
    let keepFiles = false;
    try {
      if (failure) throw new Error(failure);
      if (files.length === 0) {
        // No update counted (nobody's commitment was known at the window start, or nobody uploaded in time):
        // the global model is unchanged, so this peer's weights go back to it.
        await this.revertWindow(window);
        await ledger.append({ window, at: this.now(), phase: 'applied', phaseSeconds: { applying: this.endPhase(applying) }, ...(this.basis.digest ? { modelDigest: this.basis.digest } : {}) });
        this.audit?.noteApplied(window, this.basis.digest);
        await this.options.catchUpState?.noteApplied(window);
        this.log.info({ window }, 'no update counted; the model is unchanged');
        return;
      }
      const applied = await this.options.trainer.applyOuter({ window, payloadFiles: files, lr: manifest.sparseloco.outerLr });
      await ledger.append({ window, at: this.now(), phase: 'applied', phaseSeconds: { applying: this.endPhase(applying) }, ...(applied.modelDigest ? { modelDigest: applied.modelDigest } : {}) });
      this.basis.applied(window, applied.modelDigest);
      this.audit?.noteApplied(window, applied.modelDigest);
      await this.options.catchUpState?.noteApplied(window);
      this.log.info({ window, peers: files.length, digest: applied.modelDigest, replay }, 'outer step applied');
      const sweep = this.sweepOwnObjects(window).finally(() => this.background.delete(sweep));
      this.background.add(sweep);
    } catch (error) {
      this.endPhase(applying);
      await this.revertWindow(window);
      const again = !replay && this.replays.length < (this.options.maxCatchUpWindows ?? 10);
      await ledger.append({ window, at: this.now(), phase: 'missed', reason: `outer step failed: ${errorText(error)}${again ? '; applied again before the next window' : ''}` });
      this.log.warn({ window, err: error, replay }, again ? 'outer step failed; back to the window start, replayed before the next window' : 'outer step failed');
      if (again) {
        // A failed gather is gathered again (the inclusion rule gives the same set); otherwise the same files are applied again.
        keepFiles = failure === null;
        this.replays.push({ window, gathered: keepFiles ? gathered : null });
      }
    } finally {
      if (!keepFiles) {
        await Promise.all(files.filter((f) => f !== ownFile).map((f) => fs.rm(f, { force: true })));
        if (ownFile) await fs.rm(ownFile, { force: true });
      }
    }
  }

  /** Whether this peer's own update of `window` is in its bucket (no upload is in flight during a catch-up). */
  private async storedOwnUpdate(window: number): Promise<boolean> {
    const { self, manifest } = this.options;
    const { storage } = this.own;
    try {
      return (await storage.head(gradientKey(window, self.uid, manifest.protocolVersion))) !== null;
    } catch (error) {
      this.log.warn({ window, err: error }, 'could not tell whether the own update is stored; replaying without it');
      return false;
    }
  }

  /**
   * Retention: this peer's own updates and sync reports older than the
   * manifest's retention windows are deleted from its bucket, about once per
   * tenth of that span. Best effort: a failure is logged and tried again later.
   */
  private async sweepOwnObjects(window: number): Promise<void> {
    const keep = this.options.manifest.retentionWindows;
    if (this.sweptAt !== null && window - this.sweptAt < Math.max(1, Math.floor(keep / 10))) return;
    this.sweptAt = window;
    try {
      const { self, manifest } = this.options;
    const { storage } = this.own;
      const own = (await storage.list('')).map((o) => o.key);
      const expired = expiredWindowKeys(own, self.uid, manifest.protocolVersion, window, keep);
      if (expired.length > 0) {
        await storage.delete(expired);
        this.log.info({ window, deleted: expired.length }, 'deleted own objects past the retention window');
      }
    } catch (error) {
      this.log.warn({ window, err: error }, 'could not delete old objects; trying again later');
    }
  }

  /** Applies again, in window order, the aggregates whose outer step failed. */
  private async replayFailed(): Promise<void> {
    for (let next = this.replays.shift(); next; next = this.replays.shift()) {
      const gathered = next.gathered ?? (await this.communicate(next.window, await this.uploadDeadlineOf(next.window), null, true));
      await this.applyGathered(gathered, true);
    }
  }

  /**
   * Brings the weights to the global model before `window` trains: a newcomer,
   * or a peer further behind than it can replay, loads the run's newest
   * checkpoint; then the windows since are replayed. False when the model
   * cannot be reached yet (the window is not trained: an update from other
   * weights would be worth nothing to the run).
   */
  private async reachModel(window: number): Promise<boolean> {
    if (!(await this.repairDivergence(window))) return false;
    const limit = this.options.maxCatchUpWindows ?? 10;
    const source = this.options.checkpoints;
    const tooFar = (covered: number | null) => covered !== null && covered < window - 1 - limit;
    if (source && (this.lastCovered === null || tooFar(this.lastCovered))) {
      try {
        const restored = await source.restoreNewer(this.lastCovered, (note) => this.update({ phase: 'syncing', blocker: note }));
        if (restored) {
          await this.applyInFlight(Number.POSITIVE_INFINITY);
          await this.holdCheckpoint(restored, "loaded from the run's checkpoint");
          this.log.info({ window: restored.window, digest: restored.modelDigest }, 'loaded the run\u2019s checkpoint; the windows since are replayed');
        }
      } catch (error) {
        await this.skipWindow(window, `the run's checkpoint could not be loaded: ${errorText(error)}`);
        return false;
      }
      if (tooFar(this.lastCovered)) {
        const reason = `Too far behind the run to replay (the updates kept reach back ${limit} windows): waiting for its next checkpoint (one every ${source.everyWindows} windows).`;
        await this.skipWindow(window, reason);
        return false;
      }
    }
    if (this.lastCovered !== null && this.lastCovered < window - 1) {
      await this.applyInFlight(Number.POSITIVE_INFINITY);
      await this.catchUp(this.lastCovered + 1, window - 1);
    }
    return true;
  }

  /**
   * A peer whose weights came out different from the run's after some window
   * (the audit compares its digest with the publisher's record) goes back to
   * the run's model: the publisher's first checkpoint of that window or later,
   * then the windows since replayed as after a restart. Its updates from the
   * other weights are worth nothing, so until that checkpoint is out it does
   * not train, and says why. False: this window is not trained.
   */
  private async repairDivergence(window: number): Promise<boolean> {
    const source = this.options.checkpoints;
    if (!source || !this.audit) return true;
    this.diverged ??= await this.audit.firstDivergence(window).catch((error: unknown) => {
      this.log.warn({ window, err: error }, 'could not read the run\u2019s record of its model');
      return null;
    });
    const apart = this.diverged;
    if (!apart) return true;
    // What was gathered on top of the other weights is not applied.
    await this.dropInFlight();
    let restored: RestoredCheckpoint | null;
    try {
      restored = await source.restoreNewer(apart.window - 1, (note) => this.update({ phase: 'syncing', blocker: note }));
    } catch (error) {
      await this.skipWindow(window, `This peer's model differs from the run's since window ${apart.window}, and the run's checkpoint could not be loaded: ${errorText(error)}`);
      return false;
    }
    if (!restored) {
      await this.skipWindow(window, `This peer's model differs from the run's since window ${apart.window}: waiting for the run's next checkpoint (one every ${source.everyWindows} windows) to take the run's model again.`);
      return false;
    }
    this.diverged = null;
    await this.holdCheckpoint(restored, `loaded from the run's checkpoint: this peer's model had differed from the run's since window ${apart.window} (${apart.ours}, the run's ${apart.run})`);
    this.log.warn({ since: apart.window, ours: apart.ours, run: apart.run, checkpoint: restored.window }, 'this peer\u2019s model had come apart from the run\u2019s; it holds the run\u2019s checkpoint again');
    return true;
  }

  /** This peer now holds the run's checkpoint of `restored.window`: the windows after it are replayed, the audit starts afresh. */
  private async holdCheckpoint(restored: RestoredCheckpoint, reason: string): Promise<void> {
    this.lastCovered = restored.window;
    this.basis.applied(restored.window, restored.modelDigest);
    this.audit?.reset();
    await this.options.catchUpState?.noteApplied(restored.window);
    await this.options.ledger.append({ window: restored.window, at: this.now(), phase: 'applied', reason, ...(restored.modelDigest ? { modelDigest: restored.modelDigest } : {}) });
  }

  /** Forgets the windows in flight and queued for another try, deleting their files. */
  private async dropInFlight(): Promise<void> {
    const dropped = [...this.inFlight.splice(0).map((f) => f.gathered), ...this.replays.splice(0).flatMap((r) => (r.gathered ? [Promise.resolve(r.gathered)] : []))];
    for (const gathered of await Promise.all(dropped)) {
      await Promise.all([...gathered.files, ...(gathered.ownFile ? [gathered.ownFile] : [])].map((f) => fs.rm(f, { force: true })));
    }
  }

  /**
   * The window's shards on this machine (undefined: the trainer's own data
   * folder), the next window's fetched meanwhile; null when they cannot be
   * had, and the window is not trained.
   */
  private async windowShards(window: number): Promise<string[] | undefined | null> {
    const data = this.options.data;
    if (!data) return undefined;
    try {
      const shards = await data.shardsFor(window, (note) => this.update({ blocker: note }), this.stopping.signal);
      this.update({ blocker: null });
      data.prefetch?.(window + 1);
      return shards;
    } catch (error) {
      await this.skipWindow(window, `The window's data could not be had: ${errorText(error)}`);
      return null;
    }
  }

  /**
   * The uids the run's publisher recorded aggregating in `window`, waited for
   * (it comes once the window is validated) for up to two windows: the
   * subnet's candidates as they are now may differ from that window's (an
   * epoch in between changes the incentives that pick them). Undefined
   * without a publisher, or when none came in time.
   */
  /** Set when the publisher's record of a replayed window did not come in time; cleared by the next one found. */
  private recordsLate = false;

  private async publishedAggregate(window: number): Promise<readonly number[] | undefined> {
    const source = this.options.checkpoints;
    if (!source?.aggregatedIn) return undefined;
    const t = this.options.manifest.windows;
    // A publisher that stopped writing records is not waited for window after window: once is enough until one comes.
    const giveUpAt = this.recordsLate ? this.now() : this.now() + 2 * t.blocksPerWindow * t.blockSeconds * 1000;
    const signal = this.stopping.signal;
    for (;;) {
      const uids = await source.aggregatedIn(window).catch(() => null);
      if (uids) {
        this.recordsLate = false;
        return uids;
      }
      if (this.now() >= giveUpAt || signal.aborted) {
        this.recordsLate = true;
        this.log.warn({ window }, 'no record of whom the run aggregated in this window; replaying it with the subnet\u2019s candidates as they are now');
        return undefined;
      }
      this.update({ blocker: `Catching up: waiting for the run's record of window ${window}.` });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  /** A window this peer cannot train in: noted, said on the Dashboard, and tried again next window. */
  private async skipWindow(window: number, reason: string): Promise<void> {
    this.log.warn({ window, reason }, 'window not trained');
    await this.options.ledger.append({ window, at: this.now(), phase: 'missed', reason });
    this.update({ phase: 'syncing', blocker: reason });
  }

  /** A late joiner or a peer back from downtime replays the aggregates it missed. */
  private async catchUp(from: number, to: number): Promise<void> {
    const limit = this.options.maxCatchUpWindows ?? 10;
    const first = Math.max(from, to - limit + 1);
    if (first > from) {
      // The model cannot be rebuilt from the retained updates alone: it needs a checkpoint of the run (none is published here).
      this.log.error({ from, to, limit }, 'too far behind to catch up from the retained updates; training from this peer\'s own model');
    }
    this.update({ phase: 'syncing', blocker: `Catching up: window ${first} of ${to}.` });
    for (let w = first; w <= to; w++) {
      this.update({ blocker: `Catching up: window ${w} of ${to}.` });
      await this.options.ledger.append({ window: w, at: this.now(), phase: 'missed', reason: 'not trained: catching up after downtime' });
      // An update this peer stored before it stopped counts by the same rule as everyone's.
      await this.applyGathered(await this.communicate(w, await this.uploadDeadlineOf(w), null, await this.storedOwnUpdate(w)));
      this.lastCovered = w;
    }
    this.update({ blocker: null });
  }

  /**
   * Epoch ms by which window `w`'s updates had to be up: the canonical
   * deadline of the inclusion rule (ChainWindowTimes), and a local estimate
   * only before any block has been seen.
   */
  private async uploadDeadlineOf(w: number): Promise<number> {
    const t = this.options.manifest.windows;
    return this.times.uploadDeadline(w, () => {
      const windowMs = t.blocksPerWindow * t.blockSeconds * 1000;
      const currentEnd = this.state.windowEndsAt ?? this.now();
      return currentEnd - ((this.state.window ?? w) - w) * windowMs + (t.uploadDeadlineSeconds + t.uploadGraceSeconds) * 1000;
    });
  }

  private async missWindow(span: PhaseSpan, window: number, reason: string): Promise<void> {
    this.endPhase(span);
    this.log.warn({ window, reason }, 'window missed');
    await this.options.ledger.append({ window, at: this.now(), phase: 'missed', reason });
    this.update({ phase: 'error', blocker: reason });
  }

  /** Opens a span on the timeline; phases may overlap (training beside the last window's gather). */
  private startPhase(phase: TrainerPhase, deadline: number | null): PhaseSpan {
    const span: PhaseSpan = { phase, startedAt: this.now(), endedAt: null, deadline };
    const timeline = [...this.state.timeline, span];
    this.update({ phase: shownPhase(timeline) ?? phase, timeline });
    return span;
  }

  /** Closes a span and returns its length in seconds; the phase shown falls back to one still open. */
  private endPhase(span: PhaseSpan): number {
    const endedAt = this.now();
    const index = this.state.timeline.indexOf(span);
    if (index >= 0) {
      const timeline = [...this.state.timeline];
      timeline[index] = { ...span, endedAt };
      const open = shownPhase(timeline);
      this.update({ timeline, ...(open ? { phase: open } : {}) });
    }
    return (endedAt - span.startedAt) / 1000;
  }

  private openSpans(): PhaseSpan[] {
    return this.state.timeline.filter((s) => s.endedAt === null);
  }

  private update(patch: Partial<RoundState>): void {
    this.state = { ...this.state, ...patch };
    this.options.onState?.(this.state);
  }
}

/** Communication that runs beside the trainer; the trainer's own phase is the one to show while it is open. */
const BACKGROUND: ReadonlySet<TrainerPhase> = new Set(['uploading', 'gathering']);

/** The phase to show for these spans: the trainer's open phase first, else the latest open one. */
function shownPhase(timeline: readonly PhaseSpan[]): TrainerPhase | undefined {
  const open = timeline.filter((s) => s.endedAt === null);
  return (open.filter((s) => !BACKGROUND.has(s.phase)).at(-1) ?? open.at(-1))?.phase;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
