import fs from 'node:fs/promises';
import path from 'node:path';
import type { PhaseSpan, RoundState } from '../../contract/domains/round';
import type { TrainerPhase } from '../../contract/state';
import type { ChainPort } from '../chain/chain-port';
import type { RoundLedger } from '../ledger/round-ledger';
import type { Logger } from '../logging/logger';
import type { RunManifest } from '../run/manifest';
import { windowOf } from '../run/window-clock';
import { gradientKey } from '../storage/object-keys';
import type { StoragePort } from '../storage/storage-port';
import { ModelBasis, encodeSyncReport, syncReportKey } from '../validator/sync-report';
import { aggregationCandidates } from './aggregation-peers';
import { gather, type GatherPeer, type PayloadVerdict } from './gather';
import type { TrainerPort } from './trainer-port';

export interface RoundEngineOptions {
  manifest: RunManifest;
  chain: ChainPort;
  self: { uid: number; hotkey: string };
  /** Where this peer uploads. */
  storage: StoragePort;
  /** Where a peer's uploads can be read (devnet: its folder; real runs: from its chain commitment). */
  peerStorage(uid: number): StoragePort | undefined;
  trainer: TrainerPort;
  validatePayload(payload: Uint8Array): Promise<PayloadVerdict>;
  ledger: RoundLedger;
  /** Scratch folder for this peer's payload files. */
  workDir: string;
  logger: Logger;
  onState?(state: RoundState): void;
  /** Checkpoint after every Nth applied window. */
  checkpointEvery?: number;
  /** Windows of aggregates replayed to catch up before giving up and waiting for a checkpoint. */
  maxCatchUpWindows?: number;
  now?: () => number;
}

const LOSS_HISTORY = 600;

/**
 * Runs the rounds: each window it trains, uploads its compressed update,
 * gathers the others', and applies the aggregate. The chain's blocks drive it;
 * a fault in one phase marks that window, never the next ones.
 */
export class RoundEngine {
  private state: RoundState;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private lastApplied: number | null = null;
  /** The model this peer trains from, reported beside each update for the validators' sync check. */
  private readonly basis = new ModelBasis();
  private leaveAfterRound = false;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly options: RoundEngineOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ source: 'round' });
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

  get current(): RoundState {
    return this.state;
  }

  async join(): Promise<RoundState> {
    this.leaveAfterRound = false;
    if (!this.unsubscribe) {
      this.unsubscribe = await this.options.chain.subscribeBlocks((block) => this.onBlock(block.number));
      this.log.info({ uid: this.options.self.uid }, 'joined the run');
    }
    this.update({ joined: true, blocker: null, phase: this.running ? this.state.phase : 'syncing' });
    return this.state;
  }

  /** 'after-round' lets the window in progress finish (upload included); 'now' stops taking new windows at once. */
  async leave(when: 'now' | 'after-round'): Promise<RoundState> {
    if (when === 'after-round' && this.running) {
      this.leaveAfterRound = true;
      await this.running;
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.update({ joined: false, phase: 'paused', blocker: 'Paused by you.' });
    return this.state;
  }

  /** Waits for the window in progress, if any (tests and graceful shutdown). */
  async settle(): Promise<void> {
    await this.running;
  }

  private onBlock(block: number): void {
    const timing = this.options.manifest.windows;
    const position = windowOf(block, timing.blocksPerWindow);
    const blockMs = timing.blockSeconds * 1000;
    this.update({
      block,
      windowProgress: position.progress,
      windowEndsAt: this.now() + (timing.blocksPerWindow - position.blockInWindow) * blockMs,
    });
    if (this.running || !this.state.joined || this.leaveAfterRound) return;
    // Join at the start of a window only: a window half gone cannot be trained in full.
    if (this.state.window === null && position.blockInWindow > Math.floor(timing.blocksPerWindow / 4)) {
      this.update({ blocker: `Waiting for window ${position.window + 1} to start.` });
      return;
    }
    if (this.state.window !== null && position.window <= this.state.window) return;
    this.running = this.runWindow(position.window)
      .catch((error: unknown) => this.log.error({ err: error }, 'round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.leaveAfterRound) void this.leave('now');
      });
  }

  private async runWindow(window: number): Promise<void> {
    const { manifest, self, ledger } = this.options;
    const timing = manifest.windows;
    const windowEnd = this.state.windowEndsAt ?? this.now();
    this.update({ window, timeline: [], innerStep: 0, etaSeconds: null, blocker: null });

    if (this.lastApplied !== null && this.lastApplied < window - 1) await this.catchUp(this.lastApplied + 1, window - 1);

    // Train.
    this.startPhase('training', windowEnd);
    const payloadFile = path.join(this.options.workDir, `window-${window}.tndc`);
    await fs.mkdir(this.options.workDir, { recursive: true });
    let trained;
    try {
      trained = await this.options.trainer.trainWindow({ window, innerSteps: manifest.sparseloco.innerSteps, peerUid: self.uid, payloadFile }, (p) => {
        const history = [...this.state.lossHistory, { window, step: p.step, loss: p.loss }].slice(-LOSS_HISTORY);
        const remaining = p.steps - p.step;
        const perStep = p.step > 0 ? (this.now() - (this.state.timeline.at(-1)?.startedAt ?? this.now())) / 1000 / p.step : null;
        this.update({ innerStep: p.step, innerSteps: p.steps, loss: p.loss, tokensPerSecond: p.tokensPerSecond, lossHistory: history, etaSeconds: perStep === null ? null : remaining * perStep });
      });
    } catch (error) {
      await this.missWindow(window, `training failed: ${errorText(error)}`);
      return;
    }
    const trainSeconds = this.endPhase();
    await ledger.append({ window, at: this.now(), phase: 'trained', phaseSeconds: { training: trainSeconds }, loss: trained.loss });

    // Upload.
    const uploadDeadline = windowEnd + (timing.uploadDeadlineSeconds + timing.uploadGraceSeconds) * 1000;
    this.startPhase('uploading', uploadDeadline);
    const payload = new Uint8Array(await fs.readFile(trained.payloadFile));
    let uploaded = false;
    try {
      await this.options.storage.put(syncReportKey(window, self.uid, manifest.protocolVersion), encodeSyncReport(this.basis.report(window)));
    } catch (error) {
      this.log.warn({ window, err: error }, 'sync report not uploaded');
    }
    try {
      await this.options.storage.put(gradientKey(window, self.uid, manifest.protocolVersion), payload, { signal: AbortSignal.timeout(Math.max(1000, uploadDeadline - this.now())) });
      uploaded = true;
      await ledger.append({ window, at: this.now(), phase: 'uploaded', phaseSeconds: { uploading: this.endPhase() }, bytesUp: payload.byteLength });
    } catch (error) {
      this.endPhase();
      await ledger.append({ window, at: this.now(), phase: 'missed', reason: `upload failed: ${errorText(error)}` });
      this.log.warn({ window, err: error }, 'upload failed; this window earns nothing, training goes on');
    }

    // Gather and apply: even after a failed upload, so the model stays in sync with the others.
    await this.gatherAndApply(window, uploaded ? payload : null, trained.payloadFile);
    if (this.options.checkpointEvery && window % this.options.checkpointEvery === 0) await this.options.trainer.checkpoint(window);
    const summary = (await ledger.summaries()).find((s) => s.window === window) ?? null;
    this.update({ completedRounds: this.state.completedRounds + 1, lastRound: summary, phase: 'idle' });
  }

  private async gatherAndApply(window: number, ownPayload: Uint8Array | null, ownFile: string | null): Promise<void> {
    const { manifest, self, ledger } = this.options;
    const timing = manifest.windows;
    this.startPhase('gathering', this.now() + timing.gatherCapSeconds * 1000);
    const graph = await this.options.chain.metagraph(manifest.chain.netuid);
    const counted = aggregationCandidates(graph.neurons);
    const candidates: GatherPeer[] = [];
    for (const neuron of counted.filter((n) => n.uid !== self.uid)) {
      const storage = this.options.peerStorage(neuron.uid);
      if (storage) candidates.push({ uid: neuron.uid, storage });
    }
    const result = await gather({
      window,
      protocolVersion: manifest.protocolVersion,
      peers: candidates.slice(0, timing.gatherPeers),
      reserves: candidates.slice(timing.gatherPeers, timing.gatherPeers + timing.reservePeers),
      concurrency: 8,
      perPeerTimeoutMs: timing.perPeerTimeoutSeconds * 1000,
      capMs: timing.gatherCapSeconds * 1000,
      pollIntervalMs: Math.min(1000, timing.blockSeconds * 250),
      maxPayloadBytes: 512 * 1024 * 1024,
      validate: (bytes) => this.options.validatePayload(bytes),
      now: this.now,
    });
    for (const peer of result.peers) if (peer.outcome !== 'accepted') this.log.warn({ window, uid: peer.uid, outcome: peer.outcome, reason: peer.reason }, 'peer update not used');
    await ledger.append({ window, at: this.now(), phase: 'gathered', phaseSeconds: { gathering: this.endPhase() }, bytesDown: result.bytesDown });

    this.startPhase('applying', null);
    // Every peer aggregates in uid order: floating-point sums depend on order,
    // and peers that apply the same updates must end with bit-identical models.
    // Our own update counts only as far as the validators let it, like everyone's.
    const ownCounts = counted.some((n) => n.uid === self.uid);
    const byUid: Array<{ uid: number; file: string }> = ownPayload && ownFile && ownCounts ? [{ uid: self.uid, file: ownFile }] : [];
    for (const { uid, payload } of result.payloads) {
      const file = path.join(this.options.workDir, `window-${window}-peer-${uid}.tndc`);
      await fs.writeFile(file, payload);
      byUid.push({ uid, file });
    }
    const files = byUid.sort((a, b) => a.uid - b.uid).map((entry) => entry.file);
    try {
      const applied = await this.options.trainer.applyOuter({ window, payloadFiles: files, lr: manifest.sparseloco.outerLr });
      await ledger.append({ window, at: this.now(), phase: 'applied', phaseSeconds: { applying: this.endPhase() } });
      this.lastApplied = window;
      this.basis.applied(window, applied.modelDigest);
      this.log.info({ window, peers: files.length, digest: applied.modelDigest }, 'outer step applied');
    } catch (error) {
      this.endPhase();
      await ledger.append({ window, at: this.now(), phase: 'missed', reason: `outer step failed: ${errorText(error)}` });
    } finally {
      await Promise.all(files.filter((f) => f !== ownFile).map((f) => fs.rm(f, { force: true })));
      if (ownFile) await fs.rm(ownFile, { force: true });
    }
  }

  /** A late joiner or a peer back from downtime replays the aggregates it missed. */
  private async catchUp(from: number, to: number): Promise<void> {
    const limit = this.options.maxCatchUpWindows ?? 10;
    const first = Math.max(from, to - limit + 1);
    this.update({ phase: 'syncing', blocker: `Catching up on windows ${first}–${to}.` });
    for (let w = first; w <= to; w++) {
      await this.options.ledger.append({ window: w, at: this.now(), phase: 'missed', reason: 'not trained: catching up after downtime' });
      await this.gatherAndApply(w, null, null);
    }
    this.update({ blocker: null });
  }

  private async missWindow(window: number, reason: string): Promise<void> {
    this.endPhase();
    this.log.warn({ window, reason }, 'window missed');
    await this.options.ledger.append({ window, at: this.now(), phase: 'missed', reason });
    this.update({ phase: 'error', blocker: reason });
  }

  private startPhase(phase: TrainerPhase, deadline: number | null): void {
    const span: PhaseSpan = { phase, startedAt: this.now(), endedAt: null, deadline };
    this.update({ phase, timeline: [...this.state.timeline, span] });
  }

  /** Closes the open phase and returns its length in seconds. */
  private endPhase(): number {
    const timeline = [...this.state.timeline];
    const open = timeline.at(-1);
    if (!open || open.endedAt !== null) return 0;
    const ended = { ...open, endedAt: this.now() };
    timeline[timeline.length - 1] = ended;
    this.update({ timeline });
    return (ended.endedAt - ended.startedAt) / 1000;
  }

  private update(patch: Partial<RoundState>): void {
    this.state = { ...this.state, ...patch };
    this.options.onState?.(this.state);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
