import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChainPort, ChainSigner, ChainWriter } from '../chain/chain-port';
import type { Logger } from '../logging/logger';
import { gather, type GatherPeer, type PayloadVerdict } from '../round/gather';
import { settleMargin, WindowTimes } from '../round/inclusion';
import type { NativeTrainer } from '../round/native-trainer';
import type { RunManifest } from '../run/manifest';
import { windowOf } from '../run/window-clock';
import type { StoragePort } from '../storage/storage-port';
import type { RatingBook } from './rating-book';
import { scoreWindow, type PeerWindowInput } from './window-score';

export interface DevnetValidatorOptions {
  manifest: RunManifest;
  chain: ChainPort & ChainWriter;
  signer: ChainSigner;
  uid: number;
  peerStorage(uid: number): StoragePort | undefined;
  trainer: NativeTrainer;
  validatePayload(payload: Uint8Array): Promise<PayloadVerdict>;
  ratings: RatingBook;
  ratingsFile: string;
  workDir: string;
  logger: Logger;
  /** Batches per evaluation; small, because every peer is evaluated every window. */
  evalSteps?: number;
}

/**
 * The devnet's validator: after each window it gathers every miner's update,
 * measures each one's loss improvement on the miner's own assigned batches and
 * on batches assigned to nobody, scores it (Gauntlet components), updates the
 * OpenSkill ratings, sets weights on the chain, and applies the aggregate so
 * its model stays the global one.
 */
export class DevnetValidator {
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private lastValidated: number | null = null;
  private readonly log: Logger;
  /** Upload deadlines from the chain's blocks, the same the miners use: the validator follows the same aggregate. */
  private readonly times: WindowTimes;

  constructor(private readonly options: DevnetValidatorOptions) {
    this.log = options.logger.child({ source: 'validator' });
    this.times = new WindowTimes(options.manifest.windows);
    this.lastValidated = options.ratings.lastWindow;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.chain.subscribeBlocks((block) => {
      this.times.observe(block);
      const { window, blockInWindow } = windowOf(block.number, this.options.manifest.windows.blocksPerWindow);
      // Validate window w once w+1 is half over: every peer has uploaded by then.
      const due = window - 1;
      if (due < 0 || blockInWindow < this.options.manifest.windows.blocksPerWindow / 2 || this.running) return;
      if (this.lastValidated !== null && due <= this.lastValidated) return;
      this.running = this.validate(due)
        .catch((error: unknown) => this.log.error({ err: error, window: due }, 'validation failed'))
        .finally(() => {
          this.lastValidated = due;
          this.running = undefined;
        });
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.running;
  }

  private async validate(window: number): Promise<void> {
    const { manifest, chain } = this.options;
    const graph = await chain.metagraph(manifest.chain.netuid);
    const miners = graph.neurons.filter((n) => !n.validatorPermit);
    const peers: GatherPeer[] = [];
    for (const m of miners) {
      const storage = this.options.peerStorage(m.uid);
      if (storage) peers.push({ uid: m.uid, storage });
    }
    const result = await gather({
      window,
      protocolVersion: manifest.protocolVersion,
      peers,
      concurrency: 8,
      perPeerTimeoutMs: 2000,
      capMs: manifest.windows.gatherCapSeconds * 1000,
      pollIntervalMs: 200,
      // The miners' inclusion rule: an update stored after the deadline is late and left out of the aggregate.
      appearBy: this.times.uploadDeadline(window, Date.now()),
      settleMs: settleMargin(manifest.windows),
      maxPayloadBytes: 512 * 1024 * 1024,
      validate: (bytes) => this.options.validatePayload(bytes),
    });
    await fs.mkdir(this.options.workDir, { recursive: true });
    const files = new Map<number, string>();
    for (const { uid, payload } of result.payloads) {
      const file = path.join(this.options.workDir, `window-${window}-peer-${uid}.tndc`);
      await fs.writeFile(file, payload);
      files.set(uid, file);
    }

    const inputs: PeerWindowInput[] = [];
    const lr = manifest.sparseloco.outerLr;
    const steps = this.options.evalSteps ?? 2;
    // Batches assigned to nobody: a peer id no miner has.
    const randomId = `validator-random-${window}`;
    for (const peer of result.peers) {
      const file = files.get(peer.uid);
      if (!file) {
        // A late update is there but not judged: it scores nothing, flagged late rather than invalid.
        inputs.push({ uid: peer.uid, present: peer.outcome !== 'missing', onTime: peer.outcome !== 'missing' && peer.outcome !== 'late', valid: peer.outcome === 'accepted' || peer.outcome === 'late' });
        continue;
      }
      const own = await this.options.trainer.evaluate({ peerId: String(peer.uid), window, steps, payloadFile: file, lr });
      const random = await this.options.trainer.evaluate({ peerId: randomId, window, steps, payloadFile: file, lr });
      inputs.push({
        uid: peer.uid,
        present: true,
        onTime: true,
        valid: true,
        losses: { ownBefore: own.lossBefore, ownAfter: own.lossAfter ?? Number.NaN, randomBefore: random.lossBefore, randomAfter: random.lossAfter ?? Number.NaN },
      });
    }
    const scores = inputs.map((input) => scoreWindow(input, { globalDigest: '', maxStepsBehind: Number.POSITIVE_INFINITY, minAssignmentGap: 0 }));
    this.options.ratings.recordWindow(window, scores);
    await this.options.ratings.save(this.options.ratingsFile);
    const weights = this.options.ratings.weights(window + 1);
    if (weights.size > 0) await chain.setWeights(manifest.chain.netuid, weights, this.options.signer);

    // Apply the same aggregate the miners apply, in uid order, to stay on the global model.
    const ordered = [...files.entries()].sort(([a], [b]) => a - b).map(([, file]) => file);
    if (ordered.length > 0) await this.options.trainer.applyOuter({ window, payloadFiles: ordered, lr });
    await Promise.all([...files.values()].map((f) => fs.rm(f, { force: true })));
    this.log.info({ window, scores: scores.map((s) => ({ uid: s.uid, score: Number(s.score.toFixed(5)), flags: s.flags })), weights: Object.fromEntries(weights) }, 'window validated');
  }
}
