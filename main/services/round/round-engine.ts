import fs from 'node:fs/promises';
import path from 'node:path';
import type { PhaseSpan, RoundState } from '../../../contract/domains/round';
import type { Logger } from '../../core/logging/logger';
import type { ChainBlock } from '../../ports/chain-port';
import type { StoragePort } from '../../ports/storage-port';
import { ChainWindowTimes } from './chain-window-times';
import { errorText } from './error-text';
import { ModelAudit } from './model-audit';
import { ModelRecovery } from './model-recovery';
import { OuterStep } from './outer-step';
import { OwnUpdates, type OwnPayload } from './own-update';
import { RoundStatus } from './round-status';
import { ModelBasis } from './sync-report';
import { windowOf } from './window-clock';
import type { RoundEngineOptions } from './round-engine-options';
import { WindowGatherer, deletePayloadFiles, type GatheredWindow } from './window-gather';

export type { RoundEngineOptions } from './round-engine-options';

/** A window whose aggregate did not get applied: its files kept for a second try, or none when it must be gathered again. */
interface Replay {
  window: number;
  gathered: GatheredWindow | null;
}

/**
 * Runs the rounds: each window it trains, uploads its compressed update,
 * gathers the others', and applies the aggregate, with the communication of
 * one window overlapping the next window's training. The chain's blocks drive
 * it; a fault in one phase marks that window, never the next ones.
 *
 * This file is the window loop and its queues (what is in flight, what is
 * applied again); the phases are its collaborators: OwnUpdates (the upload),
 * WindowGatherer (the others' updates), OuterStep (the apply), ModelRecovery
 * (catch-up, checkpoints, divergence repair), RoundStatus (what the UI sees).
 */
export class RoundEngine {
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
  private readonly maxCatchUpWindows: number;
  /** The model this peer trains from, reported beside each update for the validators' sync check. */
  private readonly basis = new ModelBasis();
  private leaveAfterRound = false;
  private readonly now: () => number;
  private readonly log: Logger;
  /** Window ends and upload deadlines from the chain's blocks, the same on every peer. */
  private readonly times: ChainWindowTimes;
  /** Whether join() has read where the trainer's weights stand (once per engine). */
  private resumed = false;
  /** Aborted by leave('now'): gathers in flight end at once rather than at their deadline. */
  private stopping = new AbortController();
  /** Work that runs on its own (the retention sweep): settle() waits for it too. */
  private readonly background = new Set<Promise<void>>();

  private readonly status: RoundStatus;
  private readonly own: OwnUpdates;
  private readonly gatherer: WindowGatherer;
  private readonly outer: OuterStep;
  private readonly recovery: ModelRecovery;

  constructor(private readonly options: RoundEngineOptions) {
    const { manifest, ledger, checkpoints, catchUpState } = options;
    this.now = options.now ?? Date.now;
    this.overlap = options.overlapCommunication ?? manifest.windows.overlapCommunication;
    this.maxCatchUpWindows = options.maxCatchUpWindows ?? 10;
    this.log = options.logger.child({ source: 'round' });
    this.times = new ChainWindowTimes(options.chain, manifest.windows, this.log);
    this.status = new RoundStatus({ network: manifest.chain.network, innerSteps: manifest.sparseloco.innerSteps }, options.onState, this.now);
    // This peer's digest after each window against the run's record, when the run publishes one.
    const audit = checkpoints?.recordedDigest ? new ModelAudit({ recordedDigest: (w) => checkpoints.recordedDigest!(w) }) : null;
    const common = { ledger, status: this.status, log: this.log, now: this.now };
    this.own = new OwnUpdates({
      ...common,
      manifest,
      self: options.self,
      storage: options.storage,
      readBack: options.ownReadBack,
      ...(options.committedBefore ? { committedBefore: options.committedBefore } : {}),
      ...(options.uploadAttempts === undefined ? {} : { uploadAttempts: options.uploadAttempts }),
    });
    this.gatherer = new WindowGatherer({
      ...common,
      manifest,
      chain: options.chain,
      self: options.self,
      peerStorage: options.peerStorage,
      ...(options.committedBefore ? { committedBefore: options.committedBefore } : {}),
      ...(options.minerHotkeys ? { minerHotkeys: options.minerHotkeys } : {}),
      validatePayload: options.validatePayload,
      // A trainer that stages payloads checks each gathered one itself, decoding it once for the outer step.
      ...(options.trainer.stagePayload ? { stage: options.trainer.stagePayload.bind(options.trainer) } : {}),
      ...(options.trainer.unstage ? { unstage: options.trainer.unstage.bind(options.trainer) } : {}),
      ownAsOthersReadIt: () => this.own.asOthersReadIt,
      ...(catchUpState ? { catchUpState } : {}),
      ...(checkpoints ? { checkpoints } : {}),
      ...(options.onGather ? { onGather: options.onGather } : {}),
      workDir: options.workDir,
      stopping: () => this.stopping.signal,
    });
    this.outer = new OuterStep({
      ...common,
      manifest,
      trainer: options.trainer,
      uid: options.self.uid,
      basis: this.basis,
      audit,
      ...(catchUpState ? { catchUpState } : {}),
      onApplied: (window) => {
        const sweep = this.own.sweep(window).finally(() => this.background.delete(sweep));
        this.background.add(sweep);
      },
    });
    this.recovery = new ModelRecovery(
      { ...common, trainer: options.trainer, uid: options.self.uid, maxCatchUpWindows: this.maxCatchUpWindows, basis: this.basis, audit, ...(checkpoints ? { checkpoints } : {}), ...(catchUpState ? { catchUpState } : {}) },
      {
        covered: () => this.lastCovered,
        cover: (window) => {
          this.lastCovered = window;
        },
        applyInFlight: (upTo) => this.applyInFlight(upTo),
        dropInFlight: () => this.dropInFlight(),
        // An update this peer stored before it stopped counts by the same rule as everyone's.
        replayWindow: async (w) => this.applyGathered(await this.communicate(w, await this.uploadDeadlineOf(w), null, await this.own.isStored(w))),
        skipWindow: (window, reason) => this.skipWindow(window, reason),
      },
    );
  }

  /**
   * Uploads go to `storage` from the next upload on (new keys or a new
   * bucket, from Settings → Storage); `readBack` is how the others read it.
   */
  useStorage(storage: StoragePort, readBack?: StoragePort): void {
    this.own.use(storage, readBack);
  }

  get current(): RoundState {
    return this.status.current;
  }

  async join(): Promise<RoundState> {
    this.leaveAfterRound = false;
    if (!this.resumed) {
      this.resumed = true;
      await this.recovery.resume();
    }
    if (!this.unsubscribe) {
      this.unsubscribe = await this.options.chain.subscribeBlocks((block) => this.onBlock(block));
      this.log.info({ uid: this.options.self.uid }, 'joined the run');
    }
    this.status.update({ joined: true, blocker: null, phase: this.running ? this.status.current.phase : 'syncing' });
    return this.status.current;
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
    this.status.update({ joined: false, phase: 'paused', blocker: reason });
    return this.status.current;
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

  private onBlock(block: ChainBlock): void {
    const timing = this.options.manifest.windows;
    const position = windowOf(block.number, timing.blocksPerWindow);
    this.times.observe(block);
    if (position.blockInWindow === 0 && !this.gatherer.hasCandidates(position.window)) this.gatherer.snapshotCandidates(position.window);
    this.status.update({
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
    const state = this.status.current;
    if (this.running || !state.joined || this.leaveAfterRound) return;
    // Join at the start of a window only: a window half gone cannot be trained in full.
    if (state.window === null && position.blockInWindow > Math.floor(timing.blocksPerWindow / 4)) {
      this.status.update({ blocker: `Waiting for window ${position.window + 1} to start.` });
      return;
    }
    if (state.window !== null && position.window <= state.window) return;
    // A window joined after its first block: its candidates as of now (early in it), never as of its end, when
    // an epoch may have changed the incentives that pick them.
    if (!this.gatherer.hasCandidates(position.window)) this.gatherer.snapshotCandidates(position.window);
    this.running = this.runWindow(position.window)
      .catch((error: unknown) => this.log.error({ err: error }, 'round failed'))
      .finally(() => {
        this.running = undefined;
        // Leaving after the round: the leave('after-round') waiting on this window finishes the leave
        // (its last outer step included). Otherwise a window that ran long finds the next one
        // already started: begin it now, not at the next block.
        const at = this.status.current.block;
        if (!this.leaveAfterRound && at !== null) this.startDueWindow(at);
      });
  }

  private async runWindow(window: number): Promise<void> {
    const { manifest, self, ledger } = this.options;
    const windowEnd = this.times.endsAt(window, this.status.current.windowEndsAt ?? this.now());
    // Asked now so the answer is in by the upload, which needs it for the deadline.
    void this.times.learnStart(window);
    this.status.beginWindow(window);

    // Older than anything in flight, so first: the window's aggregate order stays the global one.
    await this.replayFailed();
    if (!(await this.recovery.reachModel(window))) return;
    const shards = await this.windowShards(window);
    if (shards === null) return;

    // Train.
    const training = this.status.startPhase('training', windowEnd);
    const payloadFile = path.join(this.options.workDir, `window-${window}.tndc`);
    await fs.mkdir(this.options.workDir, { recursive: true });
    let trained;
    // The trainer's largest resident memory over the steps, for the ledger (what a fit predicted is checked against it).
    let peakMemoryBytes = 0;
    try {
      trained = await this.options.trainer.trainWindow({ window, innerSteps: manifest.sparseloco.innerSteps, peerUid: self.uid, payloadFile, ...(shards ? { shards } : {}) }, (p) => {
        if (p.memoryBytes !== undefined) peakMemoryBytes = Math.max(peakMemoryBytes, p.memoryBytes);
        this.status.innerStep(window, training, p);
      });
    } catch (error) {
      await this.missWindow(training, window, `training failed: ${errorText(error)}`);
      // Back to where the window started (a trainer that failed without dying may hold half a
      // window), then the previous window's aggregate still applies: the model stays the global one.
      await this.outer.revertWindow(window);
      await this.applyInFlight(window - 1);
      // Even a first window that failed is replayed from the others' updates next window.
      this.lastCovered ??= window - 1;
      return;
    }
    const trainSeconds = this.status.endPhase(training);
    await ledger.append({ window, at: this.now(), phase: 'trained', phaseSeconds: { training: trainSeconds }, loss: trained.loss, ...(peakMemoryBytes > 0 ? { memoryBytes: peakMemoryBytes } : {}) });

    // Upload and gather run on their own; the trainer is free as soon as they start.
    const payload = new Uint8Array(await fs.readFile(trained.payloadFile));
    const uploadDeadline = await this.uploadDeadlineOf(window);
    // The sync report names the model this window trained from: taken now, before the previous aggregate is applied.
    const gathered = this.communicate(window, uploadDeadline, { file: trained.payloadFile, payload, syncReport: this.basis.report(window) })
      // Only a broken ledger gets here; a rejection nobody awaits (after leave('now')) must not take the process down.
      .catch((error: unknown): GatheredWindow => ({ window, files: [], staged: null, ownFile: trained.payloadFile, failure: `communication failed: ${errorText(error)}` }));
    this.inFlight.push({ window, gathered });
    this.lastCovered = window;
    if (this.overlap) void this.prepareOuterStep(window, gathered);

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
    else await this.outer.revertWindow(window);
    this.status.update({ phase: this.status.openSpans().at(-1)?.phase ?? 'idle' });
  }

  /** Uploads this window's own update (when there is one) and gathers the others'; never throws but for a broken ledger. */
  private async communicate(window: number, uploadDeadline: number, own: OwnPayload | null, ownStored = false): Promise<GatheredWindow> {
    const counted = own ? await this.own.upload(window, uploadDeadline, own) : false;
    return this.gatherer.gatherWindow(window, uploadDeadline, own ? { file: own.file, counted } : null, ownStored);
  }

  /**
   * Under the overlapped schedule this window's aggregate is applied after
   * the next window's inner steps, to that window's start: once the gather
   * has staged every update, the trainer can make the step while the next
   * window trains, and the step after it is a swap. Best effort: the outer
   * step makes it anyway when the trainer has not (or cannot).
   */
  private async prepareOuterStep(window: number, gathered: Promise<GatheredWindow>): Promise<void> {
    const trainer = this.options.trainer;
    if (!trainer.prepareOuter) return;
    const { staged, files, failure } = await gathered;
    if (failure || !staged || staged.length === 0 || staged.length !== files.length) return;
    await trainer
      .prepareOuter({ window, baseWindow: window + 1, staged, lr: this.options.manifest.sparseloco.outerLr })
      .catch((error: unknown) => this.log.info({ window, err: error }, 'the outer step is made after the window instead of beside it'));
  }

  /** Applies, in window order, the aggregates in flight up to `upTo`. */
  private async applyInFlight(upTo: number): Promise<void> {
    for (let next = this.inFlight[0]; next && next.window <= upTo; next = this.inFlight[0]) {
      this.inFlight.shift();
      await this.applyGathered(await next.gathered);
      if (this.options.checkpointEvery && next.window % this.options.checkpointEvery === 0) await this.options.trainer.checkpoint(next.window);
      const summary = (await this.options.ledger.summaries()).find((s) => s.window === next!.window) ?? null;
      this.status.update({ completedRounds: this.status.current.completedRounds + 1, lastRound: summary });
    }
  }

  /**
   * Applies one window's aggregate. When that fails, the window is queued to
   * be applied again before the next one trains; a replay that fails too is
   * given up, as is any failure once as many windows wait as catch-up replays.
   */
  private async applyGathered(gathered: GatheredWindow, replay = false): Promise<void> {
    const again = await this.outer.apply(gathered, replay, () => !replay && this.replays.length < this.maxCatchUpWindows);
    if (again) this.replays.push(again);
  }

  /** Applies again, in window order, the aggregates whose outer step failed. */
  private async replayFailed(): Promise<void> {
    for (let next = this.replays.shift(); next; next = this.replays.shift()) {
      const gathered = next.gathered ?? (await this.communicate(next.window, await this.uploadDeadlineOf(next.window), null, true));
      await this.applyGathered(gathered, true);
    }
  }

  /** Forgets the windows in flight and queued for another try, deleting their files. */
  private async dropInFlight(): Promise<void> {
    const dropped = [...this.inFlight.splice(0).map((f) => f.gathered), ...this.replays.splice(0).flatMap((r) => (r.gathered ? [Promise.resolve(r.gathered)] : []))];
    for (const gathered of await Promise.all(dropped)) await deletePayloadFiles(gathered, this.options.trainer);
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
      const shards = await data.shardsFor(window, (note) => this.status.update({ blocker: note }), this.stopping.signal);
      this.status.update({ blocker: null });
      data.prefetch?.(window + 1);
      return shards;
    } catch (error) {
      await this.skipWindow(window, `The window's data could not be had: ${errorText(error)}`);
      return null;
    }
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
      const state = this.status.current;
      const currentEnd = state.windowEndsAt ?? this.now();
      return currentEnd - ((state.window ?? w) - w) * windowMs + (t.uploadDeadlineSeconds + t.uploadGraceSeconds) * 1000;
    });
  }

  /** A window this peer cannot train in: noted, said on the Dashboard, and tried again next window. */
  private async skipWindow(window: number, reason: string): Promise<void> {
    this.log.warn({ window, reason }, 'window not trained');
    await this.options.ledger.append({ window, at: this.now(), phase: 'missed', reason });
    this.status.update({ phase: 'syncing', blocker: reason });
  }

  private async missWindow(span: PhaseSpan, window: number, reason: string): Promise<void> {
    this.status.endPhase(span);
    this.log.warn({ window, reason }, 'window missed');
    await this.options.ledger.append({ window, at: this.now(), phase: 'missed', reason });
    this.status.update({ phase: 'error', blocker: reason });
  }
}
