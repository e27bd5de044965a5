import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PhaseSpan, RoundState } from '../../../contract/domains/round';
import type { ChainSigner, ChainWriter } from '../../../main/ports/chain-port';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { RoundEngine } from '../../../main/services/round/round-engine';
import type { ApplyOuterRequest } from '../../../main/ports/trainer-port';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { DevnetValidator } from '../../../main/services/validator/devnet-validator';
import type { WindowReport } from '../../../main/services/validator/window-report';
import { RatingBook } from '../../../main/services/validator/rating-book';
import { codecVerdict } from '../../support/devnet-peers';
import { decodePayload } from '../../../main/adapters/codec';
import { HandMadeChain, type BlockTimes } from '../../support/hand-made-chain';
import { makeTempDir } from '../../support/temp-dir';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

/** The hand-made chain a validator can write its weights to. */
class ValidatorChain extends HandMadeChain implements ChainWriter {
  async register(): Promise<number> {
    throw new Error('no registration on a hand-made chain');
  }

  async commit(): Promise<void> {
    throw new Error('no commitments on a hand-made chain');
  }

  async setWeights(): Promise<void> {}
}

const signer: ChainSigner = { address: 'validator', sign: async () => new Uint8Array(64) };

/** Losses that improve a little with any update: the scores play no part here, only the deadline. */
const trainer = {
  async evaluate() {
    return { lossBefore: 4, lossAfter: 3.9 };
  },
  async applyOuter(request: ApplyOuterRequest) {
    return { modelDigest: `global-${request.window}`, computeSeconds: 0 };
  },
};

describe("DevnetValidator upload deadline on a chain whose block times are irregular: the miners' own", () => {
  const miner = { uid: 0, hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' };
  let temp: ReturnType<typeof makeTempDir>;
  let manifest: RunManifest;
  let engine: RoundEngine | undefined;
  let validator: DevnetValidator | undefined;

  beforeEach(() => {
    temp = makeTempDir();
    // Subtensor's pace: 12 s blocks, ten to a window; deadline 30 s and grace 3 s after a window's end.
    manifest = vectorEngineManifest(temp.dir, 'validator-chain-time', { blockSeconds: 12, uploadDeadlineSeconds: 30, gatherCapSeconds: 4 });
  });

  afterEach(async () => {
    await engine?.leave('now');
    await validator?.stop();
    engine = undefined;
    validator = undefined;
    temp.cleanup();
  });

  /**
   * Window 1 (blocks 10–19) and the start of window 2, with blocks that come
   * late and early around the 12 s they aim for (seconds after block 10).
   * Block 25 is where a validator extrapolating from the block it is at
   * thinks window 1 due, whatever the block times; taking the deadline from
   * block 10's time, window 1 is due at block 22.
   */
  const offsets: ReadonlyArray<[number, number]> = [
    [10, 0],
    [11, 20],
    [12, 45],
    [13, 50],
    [14, 70],
    [15, 71],
    [16, 90],
    [17, 100],
    [18, 115],
    [19, 140],
    [20, 150],
    [21, 175],
    [22, 180],
    [23, 200],
    [24, 230],
    [25, 240],
  ];

  /**
   * A miner trains and uploads window 1, first hearing block `minerFrom`; a
   * validator that first hears block `validatorFrom` validates it. The
   * deadline the miner uploaded against and the one the validator judged by.
   */
  async function deadlines(blockTimes: BlockTimes, minerFrom: number, validatorFrom: number) {
    const chain = new ValidatorChain(miner, blockTimes);
    const startAt = Date.now() - 45_000;
    for (let block = 0; block < 10; block++) chain.make(block, startAt - (10 - block) * 12_000);
    const states: RoundState[] = [];
    const warnings: Array<{ msg: string; source?: string; window?: number }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    const minerStorage = new FilesystemStorage(path.join(temp.dir, 'peers', '0'));
    engine = new RoundEngine({
      manifest,
      chain,
      self: miner,
      storage: minerStorage,
      peerStorage: () => undefined,
      trainer: new VectorTrainer(miner.uid),
      validatePayload: codecVerdict,
      ledger: new RoundLedger(path.join(temp.dir, 'rounds.ndjson')),
      workDir: path.join(temp.dir, 'miner-work'),
      logger,
      onState: (s) => states.push(s),
    });
    // Window 0 is done: the validator's next is window 1.
    const ratings = new RatingBook();
    ratings.recordWindow(0, []);
    const reports: WindowReport[] = [];
    validator = new DevnetValidator({
      manifest,
      chain,
      signer,
      uid: 1,
      peerStorage: (uid) => (uid === miner.uid ? minerStorage : undefined),
      trainer,
      decodePayload: (payload) => decodePayload(payload),
      ratings,
      ratingsFile: path.join(temp.dir, 'validator', 'ratings.json'),
      workDir: path.join(temp.dir, 'validator', 'work'),
      logger,
      onValidated: (r) => reports.push(r),
    });
    const uploading = (): PhaseSpan | undefined => states.flatMap((s) => s.timeline).find((span) => span.phase === 'uploading' && span.endedAt !== null);
    for (const [block, offset] of offsets) {
      if (block === minerFrom) await engine.join();
      if (block === validatorFrom) await validator.start();
      chain.make(block, startAt + offset * 1000);
      // Each block heard in turn, as on a chain: the validator decides on every one.
      await validator.settle();
      if (block === 12) {
        await expect.poll(uploading, { timeout: 30_000 }).toBeDefined();
        await engine.leave('after-round');
      }
    }
    await vi.waitFor(() => expect(reports.map((r) => r.window)).toContain(1), { timeout: 30_000, interval: 50 });
    const report = reports.find((r) => r.window === 1)!;
    return { miner: uploading()!.deadline, validator: report.deadline, aggregated: report.aggregated, startAt, lookups: chain.lookups, warnings };
  }

  /** Block 10's time, a nominal window (120 s) and the deadline and grace (33 s) after. */
  const exact = (startAt: number) => startAt + 153_000;

  it('saw the start block: judges window 1 by the deadline the miner uploaded against, from block 10 (the block it is at would put it 60 s later)', async () => {
    const d = await deadlines('told', 10, 10);
    expect(d.validator).toBe(d.miner);
    expect(d.validator).toBe(exact(d.startAt));
    expect(d.lookups).toEqual([]);
    // The miner's update is on time by that deadline, and in the validator's aggregate as in the miner's.
    expect(d.aggregated).toEqual([miner.uid]);
  });

  it('joined mid-window, after block 10: reads block 10 from the chain and takes the deadline of a miner that saw it', async () => {
    const d = await deadlines('told', 10, 12);
    expect(d.validator).toBe(d.miner);
    expect(d.validator).toBe(exact(d.startAt));
    expect(d.lookups).toEqual([10]);
    expect(d.warnings.filter((w) => w.msg.includes('estimated'))).toEqual([]);
  });

  it('miner and validator both joined mid-window: both read block 10 from the chain, one deadline', async () => {
    const d = await deadlines('told', 12, 12);
    expect(d.validator).toBe(d.miner);
    expect(d.validator).toBe(exact(d.startAt));
    expect(d.lookups).toEqual([10, 10]);
  });

  it('a chain that cannot tell block times: both extrapolate from block 12, the first they heard in window 1, and agree', async () => {
    const d = await deadlines('untold', 12, 12);
    expect(d.validator).toBe(d.miner);
    // Block 12 came 45 s after block 10, not 24: the estimate is 21 s off the exact deadline, the same 21 s for both.
    expect(d.validator - exact(d.startAt)).toBe(21_000);
    expect(d.warnings).toContainEqual(expect.objectContaining({ source: 'validator', msg: "the chain cannot tell a past block's time; upload deadlines of windows whose start this node missed are estimated" }));
  });

  it('a chain that never answers: the validation waits at most 2 s for block 10, then goes with the same estimate as the miner, and says so', async () => {
    const d = await deadlines('hanging', 12, 12);
    expect(d.validator).toBe(d.miner);
    expect(d.validator - exact(d.startAt)).toBe(21_000);
    expect(d.warnings).toContainEqual(
      expect.objectContaining({ source: 'validator', window: 1, waitedSeconds: 2, msg: "the chain did not tell the time of the window's start block in time; its upload deadline is estimated" }),
    );
  });
});
