import fs from 'node:fs/promises';
import { parameterCount } from '../hardware/memory-fit';
import { payloadLimitBytes } from '../round/payload-limit';
import pLimit from 'p-limit';
import { CodecError, decodePayload, type DecodedTensor } from '../../adapters/codec';
import { fingerprint, type PayloadFingerprint } from './payload-fingerprint';
import type { ChainBlock, ChainPort, ChainSigner, ChainWriter } from '../../ports/chain-port';
import type { Logger } from '../../core/logging/logger';
import { aggregationCandidates, isMiner } from '../round/aggregation-peers';
import { gather, type GatherPeer, type PayloadVerdict } from '../round/gather';
import { ChainWindowTimes } from '../round/chain-window-times';
import { settleMargin, uploadDeadline } from '../round/inclusion';
import type { ApplyOuterRequest, ApplyOuterResult, EvaluateRequest, EvaluateResult } from '../../ports/trainer-port';
import type { RunManifest } from '../../ports/run-manifest';
import { windowOf } from '../round/window-clock';
import type { StoragePort } from '../../ports/storage-port';
import { median } from '../../core/median';
import { clippedLr } from './payload-fingerprint';
import { peersToEvaluate } from './peer-selection';
import type { RatingBook } from './rating-book';
import { batchImprovements } from './score-components';
import { detectCopies } from './copy-detection';
import { breakTie, TIE_BLAME_Z } from './tie-breaker';
import { ModelBasis, modelProofKey, type SyncReport } from '../round/sync-report';
import { nextWindowToValidate } from './validation-schedule';
import { DEFAULT_VALIDATOR_SETTINGS, type ValidatorSettings } from './validator-settings';
import { peerReport, type PeerReport, type WindowReport } from './window-report';
import { scoreWindow, type PeerWindowInput } from './window-score';
import { WindowLossRuns } from './window-loss-runs';
import { collectUploads } from './window-uploads';


/** What the validator needs from a trainer (NativeTrainer has it). */
export interface ValidatorTrainer {
  evaluate(request: EvaluateRequest): Promise<EvaluateResult>;
  applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult>;
  /** Every peer's proof of the global model (TrainerPort.modelProofs); without it, sync reports are hints only. */
  modelProofs?(keys: readonly string[]): Promise<string[] | null>;
}

/** Windows of model proofs kept: the oldest model a sync report can name and still be judged on its proof. */
const PROOF_WINDOWS = 8;

export interface DevnetValidatorOptions {
  manifest: RunManifest;
  chain: ChainPort & ChainWriter;
  signer: ChainSigner;
  uid: number;
  peerStorage(uid: number): StoragePort | undefined;
  /** Whether a miner's update of a window may count at all (the miners' own rule: RoundEngineOptions.committedBefore). */
  committedBefore?(uid: number, window: number): boolean;
  trainer: ValidatorTrainer;
  /**
   * Checks a payload and decodes it in one pass: its tensors, or a
   * CodecError for anything that is not a valid update of the run. Default:
   * the codec's decode with the run's k, which makes every check the codec's
   * validate makes. The gather's check and the fingerprint (copies, norms)
   * come from this one decode, so each gathered payload is decoded once here.
   */
  decodePayload?(payload: Uint8Array): Promise<DecodedTensor[]>;
  ratings: RatingBook;
  ratingsFile: string;
  workDir: string;
  logger: Logger;
  settings?: Partial<ValidatorSettings>;
  /** Told after each validated window (the bench and the UI). */
  onValidated?(report: WindowReport): void;
  /** Hotkeys with a storage commitment: miners, even with a validator permit (see isMiner). */
  minerHotkeys?(): ReadonlySet<string> | Promise<ReadonlySet<string>>;
  /** The shards a peer id drew from in a window, when the run lists its shards by URL (absent: the trainer's data folder). */
  data?: { shardsOf(peerId: string, window: number): Promise<string[]> };
}

/**
 * The devnet's validator (Gauntlet): after each window's upload deadline it
 * fetches every miner's update and sync report, checks liveness, sync and
 * copies for all, evaluates the loss improvement of a rotating slice on their
 * own assigned batches and on random ones (updates clipped to the median
 * norm), updates the OpenSkill ratings and penalties, sets weights on the
 * chain, and applies the aggregate so its model stays the global one.
 */
export class DevnetValidator {
  private unsubscribe: (() => void) | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private lastValidated: number | null = null;
  private readonly log: Logger;
  private readonly settings: ValidatorSettings;
  /** The global model: the validator's own weights after each aggregate. */
  private readonly basis = new ModelBasis();
  /** Each peer's proof of the global model, by the model's window (rememberProofs). */
  private readonly proofs = new Map<number, Map<number, string>>();
  /** The first window whose aggregate this validator applied (the run's first aggregate, as it saw it). */
  private firstApplied: number | null = null;
  /** The last window whose aggregate it applied, so a window is never applied twice. */
  private lastApplied: number | null = null;
  /** Global digests of recent windows, to tell how far behind a stale peer is. */
  private readonly digestHistory = new Map<string, number>();
  /**
   * The window of the model the last aggregate was applied to (null: the
   * run's first weights), which the trainer keeps: under the overlapped
   * schedule the miners train each window from it, one aggregate behind this
   * validator's model. Null when no aggregate was applied yet.
   */
  private previousModel: { window: number | null } | null = null;
  /** Which miners counted for each window's aggregate, as the miners saw it during the window. */
  private readonly candidatesByWindow = new Map<number, number[]>();
  /** Window times and upload deadlines from the chain's blocks, exactly as the miners take them. */
  private readonly times: ChainWindowTimes;

  constructor(private readonly options: DevnetValidatorOptions) {
    this.log = options.logger.child({ source: 'validator' });
    this.times = new ChainWindowTimes(options.chain, options.manifest.windows, this.log);
    this.settings = { ...DEFAULT_VALIDATOR_SETTINGS, ...options.settings };
    // A restart picks up the window schedule where the saved ratings left it.
    this.lastValidated = options.ratings.lastWindow;
  }

  get lastValidatedWindow(): number | null {
    return this.lastValidated;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.chain.subscribeBlocks((block) => this.onBlock(block));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.running;
  }

  /** Waits for the validation in progress, if any. */
  async settle(): Promise<void> {
    await this.running;
  }

  private onBlock(block: ChainBlock): void {
    const timing = this.options.manifest.windows;
    const { window } = windowOf(block.number, timing.blocksPerWindow);
    this.times.observe(block);
    if (!this.candidatesByWindow.has(window)) {
      this.candidatesByWindow.set(window, []);
      void this.snapshotCandidates(window);
      // Asked now (joined mid-window, or a missed block) so the answer is in by the window's validation.
      void this.times.learnStart(window);
    }
    if (this.running) return;
    this.running = this.validateDue(block).finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Validates the window due at this block, if any, against the upload
   * deadline the miners used for it (ChainWindowTimes): a deadline of its own
   * would count late some updates the miners included, or the reverse,
   * wherever block times are irregular.
   */
  private async validateDue(block: ChainBlock): Promise<void> {
    const timing = this.options.manifest.windows;
    const deadlineOf = (w: number) => this.times.knownUploadDeadline(w, uploadDeadline(w, timing, block));
    let next = nextWindowToValidate(block, this.lastValidated, timing, deadlineOf);
    if (!next) return;
    if (!this.times.knowsStart(next.window)) {
      // Whether the window is due, and against what, turns on its start block's time: learn it (a bounded wait), then decide again.
      const asked = next.window;
      await this.times.settleStart(asked);
      next = nextWindowToValidate(block, this.lastValidated, timing, deadlineOf);
      // Another window due now has its start asked about at the next block.
      if (!next || (next.window !== asked && !this.times.knowsStart(next.window))) return;
    }
    const { window, deadline } = next;
    // Windows skipped to catch up (judging them would put it further behind) still go into the global model, in
    // order: the miners applied them, and a model that left one out would differ from theirs from then on.
    const retained = window - this.options.manifest.retentionWindows;
    for (let skipped = Math.max((this.lastValidated ?? window) + 1, retained); skipped < window; skipped++) {
      if (this.stopping) return;
      await this.applyUnjudged(skipped, deadlineOf(skipped), 'the validator fell behind: applied without judging').catch((error: unknown) =>
        this.log.error({ err: error, window: skipped }, 'could not apply a skipped window\u2019s aggregate'),
      );
    }
    try {
      await this.validate(window, deadline);
    } catch (error) {
      // Stopping takes the trainer away in the middle of a validation (validator-runtime's close): expected, not an error.
      if (this.stopping) {
        this.log.info({ window }, 'validation stopped with the validator');
        return;
      }
      this.log.error({ err: error, window }, 'validation failed');
      // Judging failed, the model must not: the aggregate is applied all the same, unless it already was.
      if (this.lastApplied !== window) {
        await this.applyUnjudged(window, deadline, `judging failed (${error instanceof Error ? error.message : String(error)}): applied without judging`).catch((again: unknown) =>
          this.log.error({ err: again, window }, 'could not apply the window\u2019s aggregate'),
        );
      }
    } finally {
      this.lastValidated = window;
    }
  }

  /** Incentives are constant within a window (epochs fall on window starts), so this is what the miners aggregate. */
  private async snapshotCandidates(window: number): Promise<void> {
    try {
      const [graph, committed] = await Promise.all([this.options.chain.metagraph(this.options.manifest.chain.netuid), this.options.minerHotkeys?.()]);
      this.candidatesByWindow.set(window, aggregationCandidates(graph.neurons, null, committed).map((n) => n.uid));
    } catch (error) {
      this.candidatesByWindow.delete(window);
      this.log.warn({ err: error, window }, 'could not read the metagraph');
    }
    for (const w of this.candidatesByWindow.keys()) if (w < window - 8) this.candidatesByWindow.delete(w);
  }

  /** The payload's tensors, by the injected decoder or the codec's with the run's k. */
  private decode(payload: Uint8Array): Promise<DecodedTensor[]> {
    return this.options.decodePayload ? this.options.decodePayload(payload) : decodePayload(payload, { expectedK: this.options.manifest.sparseloco.topK, maxValues: parameterCount(this.options.manifest.model) });
  }

  /**
   * The gather's check of a downloaded payload: decoded once, its fingerprint
   * kept in `prints` for copy detection and norm clipping. A payload the codec
   * refuses is rejected with the field at fault, as the codec's validate says it.
   */
  private async checkPayload(payload: Uint8Array, uid: number, prints: Map<number, PayloadFingerprint>): Promise<PayloadVerdict> {
    try {
      prints.set(uid, fingerprint(await this.decode(payload)));
      return { ok: true };
    } catch (error) {
      if (error instanceof CodecError) return { ok: false, reason: `${error.field}: ${error.message}` };
      throw error;
    }
  }

  /**
   * Gathers a window's updates after its deadline, each decoded once by the
   * gather's check (its fingerprint kept), and writes the accepted ones as
   * files for the trainer. `uploads` is null when nobody trained the window.
   */
  private async gatherUpdates(window: number, deadline: number) {
    const { manifest, chain } = this.options;
    const graph = await chain.metagraph(manifest.chain.netuid);
    const committed = await this.options.minerHotkeys?.();
    const miners = graph.neurons.filter((n) => n.uid !== this.options.uid && isMiner(n, committed));
    const peers: GatherPeer[] = [];
    for (const m of miners) {
      const storage = (this.options.committedBefore?.(m.uid, window) ?? true) ? this.options.peerStorage(m.uid) : undefined;
      if (storage) peers.push({ uid: m.uid, storage });
    }
    const prints = new Map<number, PayloadFingerprint>();
    const decoding = pLimit(1);
    // After the deadline an update is there or it is not: no long waits.
    const result = await gather({
      window,
      protocolVersion: manifest.protocolVersion,
      peers,
      concurrency: 8,
      perPeerTimeoutMs: 1000,
      capMs: manifest.windows.gatherCapSeconds * 1000,
      pollIntervalMs: 200,
      // The miners' inclusion rule: an update stored after the deadline is late and left out of the aggregate.
      appearBy: deadline,
      settleMs: settleMargin(manifest.windows),
      maxPayloadBytes: payloadLimitBytes(manifest),
      // One decode at a time: a decoded update is as large as the model, and only its fingerprint is kept.
      validate: (bytes, uid) => decoding(() => this.checkPayload(bytes, uid, prints)),
    });
    // Nobody trained this window (the run had not started, or every miner was away): nothing to judge or apply.
    if (result.peers.every((p) => p.outcome === 'missing')) return { graph, committed, miners, result, collected: null };
    const collected = await collectUploads({
      window,
      protocolVersion: manifest.protocolVersion,
      workDir: this.options.workDir,
      peers,
      gathered: result,
      // The gather's check already decoded each accepted payload and kept its fingerprint.
      printOf: async (uid, payload) => prints.get(uid) ?? fingerprint(await this.decode(payload)),
    });
    return { graph, committed, miners, result, collected };
  }

  /**
   * Applies the aggregate the miners applied: the window's counted miners
   * (as read during the window) that uploaded in time, in uid order. Returns
   * the uids it took.
   */
  private async applyAggregate(window: number, deadline: number, gathered: Awaited<ReturnType<DevnetValidator['gatherUpdates']>>): Promise<number[]> {
    const { uploads, uploadedAt } = gathered.collected!;
    const counted = new Set(this.candidatesByWindow.get(window) ?? aggregationCandidates(gathered.graph.neurons, null, gathered.committed).map((n) => n.uid));
    const aggregated = [...uploads.values()].filter((u) => counted.has(u.uid) && (uploadedAt.get(u.uid) ?? Infinity) <= deadline).sort((a, b) => a.uid - b.uid);
    if (aggregated.length > 0) {
      const before = this.basis.window;
      // Only an overlapped run's miners train from the model before the last aggregate; on a sequential one the
      // kept copy would never be judged on, and it is a whole second copy of the weights in the validator's memory.
      const keepPrevious = this.options.manifest.windows.overlapCommunication;
      const applied = await this.options.trainer.applyOuter({ window, payloadFiles: aggregated.map((u) => u.file), lr: this.options.manifest.sparseloco.outerLr, keepPrevious });
      this.previousModel = keepPrevious ? { window: before } : null;
      this.basis.applied(window, applied.modelDigest);
      if (applied.modelDigest) this.rememberDigest(applied.modelDigest, window);
      await this.rememberProofs(window, gathered.graph.neurons.map((n) => n.uid));
      this.firstApplied ??= window;
      this.lastApplied = window;
    }
    return aggregated.map((u) => u.uid);
  }

  /** The report of a window with nothing to judge or apply (nobody trained it). */
  private emptyReport(window: number, deadline: number, started: number): WindowReport {
    // No 'missing' marks against peers that were never asked to be there.
    const report: WindowReport = { window, peers: [], weights: new Map(), aggregated: [], globalDigest: this.basis.digest, deadline, seconds: (Date.now() - started) / 1000 };
    this.options.onValidated?.(report);
    return report;
  }

  /**
   * A window's aggregate applied without judging anyone: for a window the
   * validator skipped to catch up, or whose judging failed. Nobody is rated
   * or weighted for it; the global model (and the record published from this
   * report) still takes it, as the miners' models did.
   */
  async applyUnjudged(window: number, deadline: number, why: string): Promise<WindowReport> {
    const started = Date.now();
    const gathered = await this.gatherUpdates(window, deadline);
    if (!gathered.collected) return this.emptyReport(window, deadline, started);
    try {
      // Counted as done, as a judged window is before its aggregate is applied: a restart never applies it twice.
      this.options.ratings.recordWindow(window, []);
      await this.options.ratings.save(this.options.ratingsFile);
      const aggregated = await this.applyAggregate(window, deadline, gathered);
      const report: WindowReport = { window, peers: [], weights: new Map(), aggregated, globalDigest: this.basis.digest, deadline, seconds: (Date.now() - started) / 1000, unjudged: why };
      this.log.warn({ window, aggregated }, why);
      this.options.onValidated?.(report);
      return report;
    } finally {
      await Promise.all([...gathered.collected.uploads.values()].map((u) => fs.rm(u.file, { force: true })));
    }
  }

  async validate(window: number, deadline: number): Promise<WindowReport> {
    const { manifest, chain } = this.options;
    const started = Date.now();
    const gathered = await this.gatherUpdates(window, deadline);
    const { miners, result, collected } = gathered;
    if (!collected) return this.emptyReport(window, deadline, started);
    const { uploads, uploadedAt, reports } = collected;

    const detection = detectCopies(
      [...uploads.values()].map((u) => ({ uid: u.uid, indices: u.print.indices, values: u.print.values, uploadedAt: u.uploadedAt })),
      { explainedThreshold: this.settings.copyExplainedThreshold, orderToleranceMs: this.settings.copyOrderToleranceMs, maxSources: this.settings.copyMaxSources },
    );
    const copies = new Map(detection.copies);
    for (const tie of detection.ties) this.log.info({ window, uid: tie.uid, with: tie.with, explained: tie.explained }, 'an update is made of uploads that landed too close to it to tell which came first; nobody is blamed');
    const medianNorm = median([...uploads.values()].map((u) => u.print.norm));
    const evaluate = new Set(peersToEvaluate(miners.map((m) => m.uid), window, this.settings.evalPeers));
    const lr = manifest.sparseloco.outerLr;
    // Each update is tried at the step it gets in the aggregate (a mean over the
    // window's uploads), not the whole outer step: one peer's update at full
    // step overshoots, and an honest update could then look harmful.
    const evalLr = lr / Math.max(1, uploads.size);
    const steps = this.settings.evalSteps ?? manifest.sparseloco.innerSteps;
    // Batches assigned to nobody: a sampler id no miner has, the same for every peer this window.
    const randomId = `validator-random-${window}`;
    const policy = { globalDigest: this.basis.digest ?? '', maxStepsBehind: this.settings.maxWindowsBehind * manifest.sparseloco.innerSteps, minAssignmentGap: this.settings.minAssignmentGap, assignmentConfidenceZ: this.settings.assignmentConfidenceZ };

    // Each evaluated update on its peer's own batches and on the random batches,
    // and the control updates (the best-rated peers' this window) on the same
    // batches: some batches are easier to improve than others, and the control
    // tells how much an update not trained on them improves them.
    const evaluated = [...uploads.values()].filter((u) => evaluate.has(u.uid)).sort((a, b) => a.uid - b.uid);
    // A control must be another peer's own work: an update that shares content with some other upload (a copy, its
    // source, either side of a tie) would be its twin's control, and an update measured against itself has no gap.
    const shared = new Set<number>([...copies].flatMap(([uid, c]) => [uid, ...c.copiedFrom]).concat(detection.ties.flatMap((t) => [t.uid, ...t.with])));
    const controls = [...uploads.values()]
      .filter((u) => !shared.has(u.uid))
      .sort((a, b) => this.options.ratings.ordinalOf(b.uid) - this.options.ratings.ordinalOf(a.uid) || a.uid - b.uid)
      .slice(0, this.settings.controlPeers);
    // Each update is judged on the model its peer trained it from (what the window's sync reports name): under the
    // overlapped schedule the model before this validator's last aggregate. Judged on the newer model, an update's
    // gain on its own batches over others' is mostly lost (bench:trust --sequential showed the difference).
    let base = this.evaluationBase(evaluated.map((u) => ({ uid: u.uid, report: reports.get(u.uid) ?? null })));
    let measuredOnPrevious = false;
    const evaluateOnBase = async (request: EvaluateRequest) => {
      if (base === 'current') return this.options.trainer.evaluate(request);
      try {
        const r = await this.options.trainer.evaluate({ ...request, base });
        measuredOnPrevious = true;
        return r;
      } catch (error) {
        // A trainer that lost the kept model (restarted) or cannot keep one: the whole window on the current model instead.
        if (measuredOnPrevious) throw error;
        this.log.warn({ window, err: error }, 'the updates are judged on the current model: the trainer holds no previous one');
        base = 'current';
        this.previousModel = null;
        return this.options.trainer.evaluate(request);
      }
    };
    const losses = new WindowLossRuns(async (set, u) => {
      // A run that assigns shards per (peer, window): the same shards the peer's sampler drew from, recomputed here.
      const shards = await this.options.data?.shardsOf(set, window);
      const r = await evaluateOnBase({ peerId: set, window, steps, payloadFile: u.file, lr: clippedLr(evalLr, u.print.norm, medianNorm), ...(shards ? { shards } : {}) });
      const batches = r.lossesBefore && r.lossesAfter ? batchImprovements(r.lossesBefore, r.lossesAfter) : undefined;
      return { before: r.lossBefore, after: r.lossAfter ?? Number.NaN, batches };
    });
    for (const u of evaluated) {
      for (const set of [String(u.uid), randomId]) {
        await losses.measure(set, u);
        for (const c of controls) if (c.uid !== u.uid) await losses.measure(set, c);
      }
    }
    // Uploads made of others that landed too close to tell who came first: the update is tried on both peers'
    // batches, and the one whose update improves the other's more than its own made none of it (tie-breaker.ts).
    const tieZ = new Map<number, number>();
    for (const tie of detection.ties) {
      const u = uploads.get(tie.uid);
      if (!u || copies.has(tie.uid)) continue;
      for (const source of tie.with) {
        const s = uploads.get(source);
        if (!s) continue;
        // Both updates on both peers' batches, and the controls on the same batches.
        for (const set of [String(tie.uid), String(source)]) {
          for (const x of [u, s]) await losses.measure(set, x);
          for (const c of controls) if (c.uid !== tie.uid && c.uid !== source) await losses.measure(set, c);
        }
        const verdict = breakTie(losses, tie.uid, source, controls.map((c) => c.uid), TIE_BLAME_Z);
        this.log.info({ window, uid: tie.uid, source, leadZ: verdict.leadZ, reverseZ: verdict.reverseZ, copied: verdict.copied }, 'tie broken by whose batches the update improves');
        if (Number.isFinite(verdict.z)) tieZ.set(tie.uid, Math.max(tieZ.get(tie.uid) ?? -Infinity, verdict.z));
        if (verdict.copied) {
          copies.set(tie.uid, { copiedFrom: [source], explained: tie.explained });
          break;
        }
      }
    }

    const peerReports: PeerReport[] = [];
    for (const account of result.peers) {
      const uid = account.uid;
      const upload = uploads.get(uid);
      // A storage failure is not held against the peer as an invalid update, and a late one is
      // there but not judged: flagged late, not invalid.
      const present = account.outcome === 'accepted' || account.outcome === 'rejected' || account.outcome === 'late';
      const at = uploadedAt.get(uid);
      const onTime = present && account.outcome !== 'late' && at !== undefined && at <= deadline;
      const input: PeerWindowInput = { uid, present, onTime, valid: account.outcome !== 'rejected' };
      const syncReport = reports.get(uid) ?? null;
      const stepsBehind = present ? this.stepsBehind(uid, syncReport) : undefined;
      const syncProof = syncReport ? this.proofOf(uid, syncReport) : undefined;
      // The digest of a report that cannot prove its model is not taken either.
      if (stepsBehind !== undefined) input.sync = { peerDigest: syncProof === 'disproven' ? '' : (syncReport?.modelDigest ?? ''), stepsBehind };
      const copy = copies.get(uid);
      if (copy) input.copiedFrom = copy.copiedFrom[0] as number;
      const measured = losses.measurementsFor(uid, randomId, controls.map((c) => c.uid));
      if (measured) input.losses = measured;
      const wasEvaluated = input.losses !== undefined;
      const score = scoreWindow(input, policy);
      const tie = tieZ.get(uid);
      if (tie !== undefined && !copies.has(uid)) score.tieZ = tie;
      // A peer neither evaluated nor caught by a cheap check is simply not rated this window.
      if (!wasEvaluated && score.flags.length === 0) continue;
      peerReports.push(peerReport(score, { stepsBehind, syncProof, copy, tiedWith: detection.ties.find((t) => t.uid === uid)?.with, explained: detection.explained.get(uid), norm: upload?.print.norm, losses: input.losses }, this.settings.minAssignmentGap));
    }

    this.options.ratings.recordWindow(window, peerReports);
    await this.options.ratings.save(this.options.ratingsFile);
    const weights = this.options.ratings.weights(window + 1, miners.map((m) => m.uid));
    if (weights.size > 0 && window % manifest.windows.setWeightsEveryWindows === 0) {
      // A refused set_weights (no validator permit yet, a rate limit) costs this window's weights, never the model:
      // the aggregate below must still be applied, or this validator would judge the next window from a stale model.
      await chain.setWeights(manifest.chain.netuid, weights, this.options.signer).catch((error: unknown) => this.log.warn({ window, err: error }, 'set_weights refused; the ratings are kept and sent again next time'));
    }

    const aggregated = await this.applyAggregate(window, deadline, gathered);
    await Promise.all([...uploads.values()].map((u) => fs.rm(u.file, { force: true })));
    const report: WindowReport = { window, peers: peerReports, weights, aggregated, globalDigest: this.basis.digest, deadline, seconds: (Date.now() - started) / 1000 };
    this.log.info(
      { window, judgedOn: base, scores: peerReports.map((s) => ({ uid: s.uid, score: Number(s.score.toFixed(5)), flags: s.flags })), weights: Object.fromEntries(weights), aggregated: report.aggregated },
      'window validated',
    );
    this.options.onValidated?.(report);
    return report;
  }

  /**
   * How far behind the global model a peer's model is, in inner steps: 0 when
   * its digest is the global one; from the window of a past global digest it
   * matches; otherwise from the window it says its model is based on. No
   * report at all counts as out of sync.
   */
  stepsBehind(uid: number, report: SyncReport | null): number {
    if (!report) return Number.POSITIVE_INFINITY;
    // A report that names a model the peer cannot prove it holds says nothing about its model.
    if (this.proofOf(uid, report) === 'disproven') return Number.POSITIVE_INFINITY;
    const innerSteps = this.options.manifest.sparseloco.innerSteps;
    if (report.modelDigest !== null && report.modelDigest === this.basis.digest) return 0;
    const global = this.basis.window ?? -1;
    const known = report.modelDigest === null ? undefined : this.digestHistory.get(report.modelDigest);
    // No aggregate in the peer's model yet: it holds the run's first weights, which came before the first aggregate.
    const peer = known ?? report.basedOnWindow ?? (this.firstApplied === null ? -1 : this.firstApplied - 1);
    return Math.max(0, global - peer) * innerSteps;
  }

  /**
   * Every peer's proof of the global model of `window` (the trainer's digest
   * keyed by the peer's uid and the window): a peer whose sync report names
   * this model must carry its own. Kept for the windows a report can name.
   */
  private async rememberProofs(window: number, uids: readonly number[]): Promise<void> {
    const trainer = this.options.trainer;
    if (!trainer.modelProofs || uids.length === 0) return;
    try {
      const proofs = await trainer.modelProofs(uids.map((uid) => modelProofKey(uid, window)));
      if (proofs) this.proofs.set(window, new Map(uids.map((uid, i) => [uid, proofs[i] as string])));
    } catch (error) {
      this.log.warn({ window, err: error }, 'could not compute the peers\' model proofs: their sync reports are taken at their word this window');
    }
    for (const w of this.proofs.keys()) if (w < window - PROOF_WINDOWS) this.proofs.delete(w);
  }

  /**
   * Whether a sync report proves the model it names: 'proven' when its proof
   * is the peer's own for that model, 'disproven' when it names a model the
   * validator holds proofs for and its proof is missing or another's (a
   * copied report, or weights that are not that model), 'unknown' when the
   * validator has no proofs for that model (before its first, or after a
   * restart): the report is then a hint only.
   */
  proofOf(uid: number, report: SyncReport): 'proven' | 'disproven' | 'unknown' {
    const named = this.modelWindowOf(report);
    if (named === null) return 'unknown';
    const expected = this.proofs.get(named)?.get(uid);
    if (expected === undefined) return 'unknown';
    return report.modelProof === expected ? 'proven' : 'disproven';
  }

  /** The window of the global model a sync report names: by its digest where this validator knows it, else by its word. */
  private modelWindowOf(report: SyncReport): number | null {
    return report.modelDigest === null ? report.basedOnWindow : (this.digestHistory.get(report.modelDigest) ?? report.basedOnWindow);
  }

  /**
   * The model this window's updates are judged on: the previous one (kept by
   * the trainer) when more of the evaluated peers' sync reports name it than
   * name the current one, as under the overlapped schedule; else the current.
   * A report whose proof is another peer's or missing has no vote.
   */
  private evaluationBase(uploads: ReadonlyArray<{ uid: number; report: SyncReport | null }>): 'current' | 'previous' {
    if (!this.previousModel) return 'current';
    let current = 0;
    let previous = 0;
    for (const { uid, report } of uploads) {
      if (!report || this.proofOf(uid, report) === 'disproven') continue;
      const named = this.modelWindowOf(report);
      if (named === this.basis.window) current++;
      else if (named === this.previousModel.window) previous++;
    }
    return previous > current ? 'previous' : 'current';
  }

  private rememberDigest(digest: string, window: number): void {
    this.digestHistory.set(digest, window);
    for (const [d, w] of this.digestHistory) if (w < window - 64) this.digestHistory.delete(d);
  }
}
