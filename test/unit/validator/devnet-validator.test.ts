import fs from 'node:fs/promises';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodePayload, encodeTensors } from '../../../main/adapters/codec';
import type { ChainSigner } from '../../../main/ports/chain-port';
import { DevnetChain } from '../../support/devnet-chain';
import type { ApplyOuterRequest } from '../../../main/ports/trainer-port';
import { parseManifest, type RunManifest } from '../../../main/ports/run-manifest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { gradientKey } from '../../../main/ports/object-keys';
import { DevnetValidator, type DevnetValidatorOptions, type ValidatorTrainer } from '../../../main/services/validator/devnet-validator';
import { nextWindowToValidate } from '../../../main/services/validator/validation-schedule';
import { DEFAULT_RATING_POLICY, RatingBook } from '../../../main/services/validator/rating-book';
import type { WindowReport } from '../../../main/services/validator/window-report';
import { encodeSyncReport, syncReportKey, type SyncReport } from '../../../main/services/round/sync-report';
import { makeTempDir } from '../../support/temp-dir';

const logger = pino({ level: 'silent' });
const GENESIS = 1_700_000_000_000;

/**
 * A trainer whose losses are worked out by hand: every batch set starts at 4;
 * a peer's update brings its own batches to 3.6 (improvement 0.1) and any
 * other batches to 3.8 (0.05). So every update's raw gap is 0.05 and the
 * control (others' updates: 0.05 on a peer's batches and on random ones) is 0:
 * a clean peer scores 0.05.
 */
class ScriptedTrainer implements ValidatorTrainer {
  applied: ApplyOuterRequest[] = [];
  evaluations: Array<{ peerId: string; lr: number | undefined }> = [];

  async evaluate(request: { peerId: string; window: number; payloadFile?: string; lr?: number }) {
    this.evaluations.push({ peerId: request.peerId, lr: request.lr });
    const uid = /peer-(\d+)\.tndc$/.exec(request.payloadFile ?? '')?.[1];
    return { lossBefore: 4, lossAfter: request.peerId === uid ? 3.6 : 3.8 };
  }

  async applyOuter(request: ApplyOuterRequest) {
    this.applied.push(request);
    return { modelDigest: `global-${request.window}`, computeSeconds: 0 };
  }
}

/**
 * A trainer that reports each batch's loss: batch i starts at 4 + 0.01 i; an
 * update improves its own peer's batches by 0.1 and any others by 0.05, give
 * or take a per-batch jitter of up to 0.002 that differs between updates. The
 * lazy peer's update improves its own batches only as much as any others.
 */
class BatchTrainer implements ValidatorTrainer {
  constructor(private readonly lazyUid: number) {}

  async evaluate(request: { peerId: string; window: number; steps?: number; payloadFile?: string; lr?: number }) {
    const uid = Number(/peer-(\d+)\.tndc$/.exec(request.payloadFile ?? '')?.[1]);
    const before = Array.from({ length: request.steps ?? 1 }, (_, i) => 4 + 0.01 * i);
    const ownData = request.peerId === String(uid) && uid !== this.lazyUid;
    const after = before.map((b, i) => b * (1 - (ownData ? 0.1 : 0.05) - (((i * 7 + uid * 3) % 5) - 2) * 0.001));
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    return { lossBefore: mean(before), lossAfter: mean(after), lossesBefore: before, lossesAfter: after };
  }

  async applyOuter(request: ApplyOuterRequest) {
    return { modelDigest: `global-${request.window}`, computeSeconds: 0 };
  }
}

/**
 * A trainer that knows who made each update from its bytes, not from whose
 * file it is: an update improves its author's batches by 0.1 and any others by
 * 0.05 (give or take a per-batch jitter), whoever uploaded it.
 */
class AuthorTrainer implements ValidatorTrainer {
  constructor(private readonly authorOf: (bytes: Buffer) => number) {}

  async evaluate(request: { peerId: string; window: number; steps?: number; payloadFile?: string; lr?: number }) {
    const author = this.authorOf(await fs.readFile(request.payloadFile!));
    const before = Array.from({ length: request.steps ?? 1 }, (_, i) => 4 + 0.01 * i);
    const own = request.peerId === String(author);
    const after = before.map((b, i) => b * (1 - (own ? 0.1 : 0.05) - (((i * 7 + author * 3 + request.peerId.length) % 5) - 2) * 0.001));
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    return { lossBefore: mean(before), lossAfter: mean(after), lossesBefore: before, lossesAfter: after };
  }

  async applyOuter(request: ApplyOuterRequest) {
    return { modelDigest: `global-${request.window}`, computeSeconds: 0 };
  }
}

function update(seed: number): Float32Array {
  let a = seed;
  return Float32Array.from({ length: 64 * 64 }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648 - 0.5;
  });
}

describe('DevnetValidator', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  let manifest: RunManifest;
  let keyring: Keyring;
  let clock: number;
  let signer: ChainSigner;
  const storageOf = (uid: number) => new FilesystemStorage(path.join(temp.dir, 'peers', String(uid)));

  beforeAll(async () => {
    await cryptoWaitReady();
    keyring = new Keyring({ type: 'sr25519' });
  });

  beforeEach(async () => {
    temp = makeTempDir();
    clock = GENESIS;
    manifest = parseManifest(
      {
        version: 1,
        name: 'validator-test',
        protocolVersion: '1',
        model: { vocabSize: 256, hiddenSize: 64, layers: 1, heads: 4, kvHeads: 4, ffnSize: 128, sequenceLength: 16 },
        data: { shards: 'unused' },
        storage: { kind: 'filesystem', root: temp.dir },
        chain: { network: 'devnet', netuid: 3 },
        sparseloco: { innerSteps: 20, outerLr: 1 },
        windows: { blocksPerWindow: 10, blockSeconds: 1, uploadDeadlineSeconds: 0.5, uploadGraceSeconds: 0.5, perPeerTimeoutSeconds: 1, gatherCapSeconds: 5 },
      },
      'test',
    );
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 1000, tempo: 1000, minerEmissionPerTempo: 0n, now: () => clock });
    for (const name of ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve']) {
      const pair = keyring.addFromUri(`//${name}`);
      await chain.register(3, pair.address, { address: pair.address, sign: async (m) => pair.sign(m) });
    }
    const v = keyring.addFromUri('//Ferdie');
    signer = { address: v.address, sign: async (m) => v.sign(m) };
    await chain.register(3, v.address, signer, { validator: true });
  });

  afterEach(async () => {
    await chain.close();
    temp.cleanup();
  });

  function makeValidator(trainer: ValidatorTrainer, ratings: RatingBook, decode: (payload: Uint8Array) => ReturnType<typeof decodePayload> = (payload) => decodePayload(payload)) {
    return new DevnetValidator(validatorOptions(trainer, ratings, decode));
  }

  function validatorOptions(trainer: ValidatorTrainer, ratings: RatingBook, decode: (payload: Uint8Array) => ReturnType<typeof decodePayload> = (payload) => decodePayload(payload)): DevnetValidatorOptions {
    return {
      manifest,
      chain,
      signer,
      uid: 5,
      peerStorage: storageOf,
      trainer,
      decodePayload: decode,
      ratings,
      ratingsFile: path.join(temp.dir, 'validator', 'ratings.json'),
      workDir: path.join(temp.dir, 'validator', 'work'),
      logger,
      settings: { evalPeers: 10, maxWindowsBehind: 0 },
    };
  }

  /** Uploads a payload (and its sync report) as peer uid, landing at `at` (epoch ms). */
  async function upload(window: number, uid: number, payload: Uint8Array, at: number, report: SyncReport | null): Promise<void> {
    const storage = storageOf(uid);
    const key = gradientKey(window, uid, '1');
    await storage.put(key, payload);
    await fs.utimes(path.join(temp.dir, 'peers', String(uid), key), at / 1000, at / 1000);
    if (report) await storage.put(syncReportKey(window, uid, '1'), encodeSyncReport(report));
  }

  it('takes a sync report at its word only with the peer\'s own proof of the model it names: a copied report is desynced', async () => {
    // The global model of window w proves itself for peer u as `proof-u-w`; a stale model proves nothing.
    const trainer = new (class extends ScriptedTrainer {
      window = -1;
      override async applyOuter(request: ApplyOuterRequest) {
        this.window = request.window;
        return super.applyOuter(request);
      }
      async modelProofs(keys: readonly string[]) {
        return keys.map((key) => {
          const [uid, window] = key.split(':').map(Number);
          return (Number(window) * 1000 + Number(uid)).toString(16).padStart(16, '0');
        });
      }
    })();
    const proofFor = (uid: number, window: number) => (window * 1000 + uid).toString(16).padStart(16, '0');
    const ratings = new RatingBook();
    const validator = makeValidator(trainer, ratings);
    const payload = async (seed: number) => encodeTensors([{ name: 'w', shape: [64, 64], data: update(seed) }], { k: 64 });
    for (const uid of [0, 1, 2]) await upload(0, uid, await payload(300 + uid), GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    await validator.validate(0, GENESIS + 11_000);
    // Window 1: uid 0 proves the global model of window 0; uid 1 copied uid 0's report, proof and all; uid 2 sends none.
    const honest = { version: 1 as const, window: 1, basedOnWindow: 0, modelDigest: 'global-0', modelProof: proofFor(0, 0) };
    await upload(1, 0, await payload(310), GENESIS + 13_000, honest);
    await upload(1, 1, await payload(311), GENESIS + 13_000, honest);
    await upload(1, 2, await payload(312), GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: 0, modelDigest: 'global-0' });
    const second = await validator.validate(1, GENESIS + 21_000);
    const byUid = new Map(second.peers.map((p) => [p.uid, p]));
    expect(byUid.get(0)?.flags).toEqual([]);
    expect(byUid.get(0)?.stepsBehind).toBe(0);
    expect(byUid.get(0)?.syncProof).toBe('proven');
    expect(byUid.get(1)?.syncProof).toBe('disproven');
    expect(byUid.get(1)?.flags).toContain('desynced');
    expect(byUid.get(2)?.flags).toContain('desynced');
    expect(validator.proofOf(0, honest)).toBe('proven');
    // A model the validator holds no proofs for (before its first aggregate) is taken as a hint.
    expect(validator.proofOf(1, { ...honest, basedOnWindow: 40, modelDigest: 'unknown' })).toBe('unknown');
  });

  it('judges each window on the model its peers trained from: the previous one under the overlapped schedule, the current one when the reports name it', async () => {
    const bases: Array<{ window: number; base: string }> = [];
    const trainer = new (class extends ScriptedTrainer {
      override async evaluate(request: { peerId: string; window: number; payloadFile?: string; lr?: number; base?: 'current' | 'previous' }) {
        bases.push({ window: request.window, base: request.base ?? 'current' });
        return super.evaluate(request);
      }
    })();
    const validator = makeValidator(trainer, new RatingBook());
    const payload = (seed: number) => encodeTensors([{ name: 'w', shape: [64, 64], data: update(seed) }], { k: 64 });
    const basesOf = (window: number) => new Set(bases.filter((b) => b.window === window).map((b) => b.base));
    // Window 0: no aggregate applied yet, so no previous model: the current one.
    for (const uid of [0, 1, 2]) await upload(0, uid, await payload(400 + uid), GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    await validator.validate(0, GENESIS + 11_000);
    expect(basesOf(0)).toEqual(new Set(['current']));
    expect(trainer.applied.at(-1)?.keepPrevious).toBe(true);
    // Window 1, overlapped: the peers trained it from the first weights, the model before the validator's aggregate of window 0.
    for (const uid of [0, 1, 2]) await upload(1, uid, await payload(410 + uid), GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: null, modelDigest: null });
    await validator.validate(1, GENESIS + 21_000);
    expect(basesOf(1)).toEqual(new Set(['previous']));
    // Window 2, sequential: the reports name window 1's aggregate, the validator's own model now. One stale report is outvoted.
    for (const uid of [0, 1]) await upload(2, uid, await payload(420 + uid), GENESIS + 23_000, { version: 1, window: 2, basedOnWindow: 1, modelDigest: 'global-1' });
    await upload(2, 2, await payload(422), GENESIS + 23_000, { version: 1, window: 2, basedOnWindow: 0, modelDigest: 'global-0' });
    await validator.validate(2, GENESIS + 31_000);
    expect(basesOf(2)).toEqual(new Set(['current']));
  });

  it('keeps no copy of the previous model on a run with the sequential schedule: its updates are all judged on the current one', async () => {
    const bases: string[] = [];
    const trainer = new (class extends ScriptedTrainer {
      override async evaluate(request: { peerId: string; window: number; payloadFile?: string; lr?: number; base?: 'current' | 'previous' }) {
        bases.push(request.base ?? 'current');
        return super.evaluate(request);
      }
    })();
    const sequential = { ...manifest, windows: { ...manifest.windows, overlapCommunication: false } };
    const validator = new DevnetValidator({ ...validatorOptions(trainer, new RatingBook()), manifest: sequential });
    const payload = (seed: number) => encodeTensors([{ name: 'w', shape: [64, 64], data: update(seed) }], { k: 64 });
    for (const uid of [0, 1, 2]) await upload(0, uid, await payload(500 + uid), GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    await validator.validate(0, GENESIS + 11_000);
    expect(trainer.applied.at(-1)?.keepPrevious).toBe(false);
    // Even reports that name the older model (a stale peer's) cannot send the judging to a model nobody kept.
    for (const uid of [0, 1, 2]) await upload(1, uid, await payload(510 + uid), GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: null, modelDigest: null });
    await validator.validate(1, GENESIS + 21_000);
    expect(trainer.applied.at(-1)?.keepPrevious).toBe(false);
    expect(new Set(bases)).toEqual(new Set(['current']));
  });

  it('judges on the current model when the trainer holds no previous one (restarted, or older): every peer is still evaluated', async () => {
    const trainer = new (class extends ScriptedTrainer {
      refused = 0;
      override async evaluate(request: { peerId: string; window: number; payloadFile?: string; lr?: number; base?: 'current' | 'previous' }) {
        if (request.base === 'previous') {
          this.refused++;
          throw new Error('no previous model is kept');
        }
        return super.evaluate(request);
      }
    })();
    const validator = makeValidator(trainer, new RatingBook());
    const payload = (seed: number) => encodeTensors([{ name: 'w', shape: [64, 64], data: update(seed) }], { k: 64 });
    for (const uid of [0, 1, 2]) await upload(0, uid, await payload(500 + uid), GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    await validator.validate(0, GENESIS + 11_000);
    for (const uid of [0, 1, 2]) await upload(1, uid, await payload(510 + uid), GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: null, modelDigest: null });
    const report = await validator.validate(1, GENESIS + 21_000);
    expect(trainer.refused).toBe(1);
    expect(report.peers.filter((p) => p.evaluated)).toHaveLength(3);
  });

  it('flags a copy, a stale model, a missing and a late upload; aggregates only on-time updates; scores the honest gap', async () => {
    const trainer = new ScriptedTrainer();
    const ratings = new RatingBook();
    const validator = makeValidator(trainer, ratings);
    const payload = async (seed: number) => encodeTensors([{ name: 'w', shape: [64, 64], data: update(seed) }], { k: 64 });

    // Window 0: everyone on the initial model; gives the validator its first global digest.
    const deadline0 = GENESIS + 10_000 + 1_000;
    for (const uid of [0, 1, 2, 3, 4]) await upload(0, uid, await payload(100 + uid), GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    const first = await validator.validate(0, deadline0);
    expect(first.peers.map((p) => [p.uid, p.flags])).toEqual([[0, []], [1, []], [2, []], [3, []], [4, []]]);
    for (const p of first.peers) expect(p.score).toBeCloseTo(0.05, 12); // (0.1 − 0.05) − (0.05 − 0.05)
    expect(first.globalDigest).toBe('global-0');

    // Window 1.
    const deadline1 = GENESIS + 20_000 + 1_000;
    const honest = await payload(7);
    await upload(1, 0, honest, GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: 0, modelDigest: 'global-0' });
    // uid 1 re-uploads uid 0's bytes two seconds later.
    await upload(1, 1, honest, GENESIS + 15_000, { version: 1, window: 1, basedOnWindow: 0, modelDigest: 'global-0' });
    // uid 2 still trains on the initial weights: (global window 0 − its −1) × 20 inner steps = 20 behind.
    await upload(1, 2, await payload(9), GENESIS + 13_000, { version: 1, window: 1, basedOnWindow: null, modelDigest: 'init' });
    // uid 3 uploads nothing; uid 4 lands 500 ms after the deadline.
    await upload(1, 4, await payload(11), deadline1 + 500, { version: 1, window: 1, basedOnWindow: 0, modelDigest: 'global-0' });

    const second = await validator.validate(1, deadline1);
    const byUid = new Map(second.peers.map((p) => [p.uid, p]));
    expect(byUid.get(0)?.flags).toEqual([]);
    expect(byUid.get(0)?.score).toBeCloseTo(0.05, 12);
    expect(byUid.get(0)?.stepsBehind).toBe(0);
    expect(byUid.get(1)?.flags).toEqual(['copied']);
    expect(byUid.get(1)?.copiedFrom).toEqual([0]);
    expect(byUid.get(1)?.explained).toBeCloseTo(1, 9);
    // The original is explained by nothing that landed before it.
    expect(byUid.get(0)?.explained).toBe(0);
    expect(byUid.get(2)?.flags).toEqual(['desynced']);
    expect(byUid.get(2)?.stepsBehind).toBe(20);
    expect(byUid.get(3)?.flags).toEqual(['missing']);
    expect(byUid.get(4)?.flags).toEqual(['late']);
    // The late update stays out of the global model; the others go in, in uid order.
    expect(second.aggregated).toEqual([0, 1, 2]);
    expect(trainer.applied[1]?.payloadFiles.map((f) => path.basename(f))).toEqual(['window-1-peer-0.tndc', 'window-1-peer-1.tndc', 'window-1-peer-2.tndc']);
    // Updates are tried at their share of the outer step, lr 1 / 3 on-time uploads (the late one is
    // not in the aggregate, so it does not dilute the share), less where clipped to the median norm.
    const lrs = trainer.evaluations.slice(-8).map((e) => e.lr ?? Number.NaN);
    expect(Math.max(...lrs)).toBeCloseTo(1 / 3, 12);
    for (const lr of lrs) expect(lr).toBeLessThanOrEqual(1 / 3 + 1e-12);
    // The copier is penalised at once and gets no weight; the honest peer gets the most.
    expect(ratings.peer(1).penalties).toBe(1);
    expect(second.weights.has(1)).toBe(false);
    const best = [...second.weights.entries()].sort((a, b) => b[1] - a[1])[0];
    expect(best?.[0]).toBe(0);
    expect([...second.weights.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('decodes each gathered payload once: its check and its fingerprint come from the same decode; a payload the codec refuses is invalid', async () => {
    const trainer = new ScriptedTrainer();
    const decoded: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const validator = makeValidator(trainer, new RatingBook(), async (payload) => {
      decoded.push(payload.byteLength);
      mostAtOnce = Math.max(mostAtOnce, ++running);
      try {
        return await decodePayload(payload);
      } finally {
        running--;
      }
    });
    const sizes: number[] = [];
    for (const uid of [0, 1, 2]) {
      const bytes = await encodeTensors([{ name: 'w', shape: [64, 64], data: update(300 + uid) }], { k: 64 });
      sizes.push(bytes.byteLength);
      await upload(0, uid, bytes, GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    }
    // uid 3 uploads bytes that are no payload; uid 4 uploads nothing.
    const garbage = new Uint8Array(64).fill(7);
    await upload(0, 3, garbage, GENESIS + 3_000, null);
    const report = await validator.validate(0, GENESIS + 11_000);
    // One decode per downloaded payload (three updates, the garbage), one at a time: none again for the fingerprint.
    expect(decoded.sort((a, b) => a - b)).toEqual([...sizes, garbage.byteLength].sort((a, b) => a - b));
    expect(mostAtOnce).toBe(1);
    const byUid = new Map(report.peers.map((p) => [p.uid, p]));
    expect(byUid.get(3)?.flags).toContain('invalid');
    expect(byUid.get(4)?.flags).toEqual(['missing']);
    expect(report.aggregated).toEqual([0, 1, 2]);
    // The fingerprints are there: each update has its norm.
    for (const uid of [0, 1, 2]) expect(byUid.get(uid)?.norm).toBeGreaterThan(0);
  });

  it('does not rate a window nobody trained in (the run had not started): no peer is marked missing for it', async () => {
    const ratings = new RatingBook();
    const validator = makeValidator(new ScriptedTrainer(), ratings);
    const report = await validator.validate(0, GENESIS + 11_000);
    expect(report.peers).toEqual([]);
    expect(report.weights.size).toBe(0);
    expect(ratings.all().filter((p) => p.windowsScored > 0)).toEqual([]);
  });

  it('gives the assignment gap a standard error from per-batch losses, paired with the control batch by batch', async () => {
    const ratings = new RatingBook();
    const validator = makeValidator(new BatchTrainer(2), ratings);
    for (const uid of [0, 1, 2, 3, 4]) {
      const bytes = await encodeTensors([{ name: 'w', shape: [64, 64], data: update(200 + uid) }], { k: 64 });
      await upload(0, uid, bytes, GENESIS + 3_000, { version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    }
    const report = await validator.validate(0, GENESIS + 11_000);
    const byUid = new Map(report.peers.map((p) => [p.uid, p]));
    // Honest: a gap of about 0.05 against a jitter of thousandths, far beyond noise.
    const honest = byUid.get(3);
    expect(honest?.flags).toEqual([]);
    expect(honest?.assignmentGap).toBeCloseTo(0.05, 2);
    expect(honest?.assignmentStdError).toBeGreaterThan(0);
    expect(honest?.assignmentZ).toBeGreaterThan(20);
    // Lazy: a gap of 0 with the same spread is no proof either way: no flag, a score of 0, and evidence for the rating book.
    const lazy = byUid.get(2);
    expect(lazy?.assignmentGap).toBeCloseTo(0, 9);
    expect(lazy?.assignmentZ).toBeCloseTo(0, 3);
    expect(lazy?.flags).toEqual([]);
    expect(ratings.peer(2).assignmentEvidence).toBeCloseTo(DEFAULT_RATING_POLICY.assignmentAllowance, 3);
    expect(ratings.peer(3).assignmentEvidence).toBe(0);
  });

  it('breaks a tie by whose batches the shared update improves: the copier is flagged, its victim never', async () => {
    const bytesOf = new Map<number, Buffer>();
    for (const uid of [0, 1, 2, 3]) bytesOf.set(uid, Buffer.from(await encodeTensors([{ name: 'w', shape: [64, 64], data: update(400 + uid) }], { k: 64 })));
    const authorOf = (bytes: Buffer) => [...bytesOf].find(([, b]) => b.equals(bytes))?.[0] ?? -1;
    const ratings = new RatingBook();
    // The copier rated best, and its victim next: by rating they would be the window's controls.
    ratings.peer(4).mu = 40;
    ratings.peer(1).mu = 35;
    const validator = makeValidator(new AuthorTrainer(authorOf), ratings);
    const report = { version: 1 as const, window: 0, basedOnWindow: null, modelDigest: null };
    // uid 4 uploads uid 1's update in the same second as uid 1: the dates cannot order them.
    for (const uid of [0, 1, 2, 3]) await upload(0, uid, bytesOf.get(uid)!, GENESIS + 3_000, report);
    await upload(0, 4, bytesOf.get(1)!, GENESIS + 3_000, report);
    const first = await validator.validate(0, GENESIS + 11_000);
    const byUid = new Map(first.peers.map((p) => [p.uid, p]));
    expect(byUid.get(4)?.flags).toContain('copied');
    expect(byUid.get(4)?.copiedFrom).toEqual([1]);
    for (const uid of [0, 1, 2, 3]) expect([uid, byUid.get(uid)?.flags ?? []]).toEqual([uid, []]);
    // Neither of the pair is a control (the victim measured against its own copy would show no gap): the victim's gap is its work's.
    expect(byUid.get(1)?.assignmentGap).toBeCloseTo(0.05, 2);
  });

  it('after a restart resumes the ratings from disk and the window schedule where it stopped', async () => {
    const ratingsFile = path.join(temp.dir, 'validator', 'ratings.json');
    const before = new RatingBook();
    before.recordWindow(6, [
      { uid: 0, score: 0.05, flags: [] },
      { uid: 1, score: 0.01, flags: [] },
    ]);
    await before.save(ratingsFile);

    const trainer = new ScriptedTrainer();
    const resumed = await RatingBook.load(ratingsFile);
    const validator = makeValidator(trainer, resumed);
    expect(validator.lastValidatedWindow).toBe(6);
    expect(resumed.peer(0).mu).toBe(before.peer(0).mu);

    // The chain is now in window 8, past window 7's deadline: the next window due is 7, not 0 and not 6 again.
    await upload(7, 0, await encodeTensors([{ name: 'w', shape: [64, 64], data: update(1) }], { k: 64 }), GENESIS + 73_000, null);
    clock = GENESIS + 84_500;
    await validator.start();
    await vi.waitFor(() => expect(validator.lastValidatedWindow).toBe(7), { timeout: 10_000, interval: 50 });
    await validator.stop();
    expect(trainer.applied.map((a) => a.window)).toEqual([7]);
  });

  it('applies the windows it skipped to catch up, unjudged and in order, so its model stays the one the miners hold', async () => {
    const ratingsFile = path.join(temp.dir, 'validator', 'ratings.json');
    const before = new RatingBook();
    before.recordWindow(4, [{ uid: 0, score: 0.05, flags: [] }]);
    await before.save(ratingsFile);
    // Windows 5 to 8 each have two on-time updates; the chain is already in window 9, past window 8's deadline.
    for (const window of [5, 6, 7, 8]) {
      for (const uid of [0, 1]) await upload(window, uid, await encodeTensors([{ name: 'w', shape: [64, 64], data: update(window * 10 + uid) }], { k: 64 }), GENESIS + window * 10_000 + 3_000, null);
    }
    clock = GENESIS + 94_500;
    const trainer = new ScriptedTrainer();
    const reports: WindowReport[] = [];
    const ratings = await RatingBook.load(ratingsFile);
    const booked: Array<number | null> = [];
    const validator = new DevnetValidator({
      ...validatorOptions(trainer, ratings),
      onValidated: (r) => {
        reports.push(r);
        booked.push(ratings.lastWindow);
      },
    });
    await validator.start();
    // One window is judged per block: the chain moves on a block at a time, staying in window 9.
    const blocks = setInterval(() => (clock = Math.min(clock + 1000, GENESIS + 99_500)), 300);
    try {
      await vi.waitFor(() => expect(validator.lastValidatedWindow).toBe(8), { timeout: 15_000, interval: 50 });
    } finally {
      clearInterval(blocks);
    }
    await validator.stop();
    // Window 5 is more than two behind: not judged (nobody evaluated on it), but its aggregate applied before window 6's.
    expect(trainer.applied.map((a) => a.window)).toEqual([5, 6, 7, 8]);
    expect(trainer.applied.every((a) => a.payloadFiles.length === 2)).toBe(true);
    expect(reports.map((r) => [r.window, r.unjudged !== undefined])).toEqual([[5, true], [6, false], [7, false], [8, false]]);
    expect(reports[0]).toMatchObject({ peers: [], aggregated: [0, 1], globalDigest: 'global-5' });
    expect(reports[0]!.unjudged).toMatch(/fell behind/);
    expect(trainer.evaluations.length).toBeGreaterThan(0);
    // Each window is on the books as done once applied, the unjudged one too: a restart never applies one twice.
    expect(booked).toEqual([5, 6, 7, 8]);
    expect((await RatingBook.load(ratingsFile)).lastWindow).toBe(8);
  }, 20_000);

  it('applies a window\u2019s aggregate even when judging it fails, once', async () => {
    for (const uid of [0, 1]) await upload(7, uid, await encodeTensors([{ name: 'w', shape: [64, 64], data: update(uid) }], { k: 64 }), GENESIS + 73_000, null);
    const trainer = new ScriptedTrainer();
    trainer.evaluate = async () => {
      throw new Error('trainer evaluation crashed');
    };
    const reports: WindowReport[] = [];
    const ratings = new RatingBook();
    ratings.recordWindow(6, []);
    const validator = new DevnetValidator({ ...validatorOptions(trainer, ratings), onValidated: (r) => reports.push(r) });
    clock = GENESIS + 84_500;
    await validator.start();
    await vi.waitFor(() => expect(validator.lastValidatedWindow).toBe(7), { timeout: 10_000, interval: 50 });
    await validator.stop();
    expect(trainer.applied.map((a) => a.window)).toEqual([7]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ window: 7, aggregated: [0, 1], globalDigest: 'global-7' });
    expect(reports[0]!.unjudged).toMatch(/judging failed \(trainer evaluation crashed\)/);
  });
});

describe('nextWindowToValidate', () => {
  // 10 blocks of 2 s per window; deadline 0.5 + grace 0.5 s after a window ends; validated 2 blocks after that.
  const timing = parseManifest(
    {
      version: 1,
      name: 't',
      protocolVersion: '1',
      model: { vocabSize: 256, hiddenSize: 64, layers: 1, heads: 4, kvHeads: 4, ffnSize: 128, sequenceLength: 16 },
      data: { shards: 'x' },
      storage: { kind: 'filesystem', root: '/x' },
      chain: { network: 'devnet', netuid: 3 },
      windows: { blocksPerWindow: 10, blockSeconds: 2, uploadDeadlineSeconds: 0.5, uploadGraceSeconds: 0.5 },
    },
    't',
  ).windows;
  const at = (block: number) => ({ number: block, timestamp: GENESIS + block * 2000 });

  it('waits until a window is a deadline and two blocks old', () => {
    // Window 3 ends at block 40 (80 s); deadline 81 s; due at 85 s: block 43 (86 s), not block 42 (84 s).
    expect(nextWindowToValidate(at(42), 2, timing)).toBeNull();
    expect(nextWindowToValidate(at(43), 2, timing)).toEqual({ window: 3, deadline: GENESIS + 81_000 });
    // At block 42 window 2 is due (deadline 61 s) for a validator that has not done it.
    expect(nextWindowToValidate(at(42), 1, timing)).toEqual({ window: 2, deadline: GENESIS + 61_000 });
  });

  it('goes on from the last validated window, back at most two windows, never twice', () => {
    expect(nextWindowToValidate(at(43), null, timing)?.window).toBe(3);
    expect(nextWindowToValidate(at(43), 3, timing)).toBeNull();
    expect(nextWindowToValidate(at(43), 1, timing)?.window).toBe(2);
    expect(nextWindowToValidate(at(43), -5, timing)?.window).toBe(1); // 3 − 2
    expect(nextWindowToValidate(at(5), null, timing)).toBeNull();
  });

  it("is ready by the deadline it is given (the miners'), not by one extrapolated from the block it is at", () => {
    // Window 3's start block came 7 s late: its deadline is 88 s, so block 43 (86 s) is too early, block 46 (92 s) is not.
    const miners = (w: number) => GENESIS + (w === 3 ? 88_000 : w * 20_000 + 21_000);
    expect(nextWindowToValidate(at(43), 2, timing, miners)).toBeNull();
    expect(nextWindowToValidate(at(46), 2, timing, miners)).toEqual({ window: 3, deadline: GENESIS + 88_000 });
  });
});
