// Round benchmark at real model sizes (issue 20): `npm run bench:round -- --model 1b|8b|72b`.
// This machine's peer runs the real round engine, storage client and codec against the devnet's chain and S3
// server, with a stand-in for the GPU's inner steps (stand-in-trainer.ts) and real codec payloads of the model's
// size (payload-template.ts); 20 simulated peers upload the same size each window (simulated-peer-store.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { descend, encodeTensors, inspectPayload, stagePayload, weightsDigest, type StagedPayload } from '../../main/adapters/codec';
import { S3Storage } from '../../main/adapters/storage/s3-storage';
import { seededRandom } from '../../main/core/seeded-random';
import { devnetManifestDocument } from '../../main/devnet/devnet-manifest';
import { signerOf, startLocalDevnet } from '../../main/devnet/local-devnet';
import { createNetworkRuntime } from '../../main/network/network-runtime';
import { gradientKey } from '../../main/ports/object-keys';
import { parseManifest, WindowTiming, type RunManifest } from '../../main/ports/run-manifest';
import { parameterCount, type ModelShape } from '../../main/services/hardware/memory-fit';
import { openReadOnly } from '../../main/services/run/peer-directory';
import { publishStorageCommitment } from '../../main/services/run/publish-commitment';
import { startThrottleProxy } from '../../test/support/throttle-proxy';
import { gaussian, MODEL_SIZES, type ModelSize } from './model-payload';
import { modelPayloadTemplate } from './payload-template';
import { roundFigures, utilization } from './round-figures';
import { startSimulatedPeerStore } from './simulated-peer-store';
import { StandInTrainer, type AggregateCost } from './stand-in-trainer';
import { freePort } from './free-port';

const MBIT = 1_000_000 / 8;

/**
 * Published compute per window, where the run published it (protocol.md):
 * Covenant's 8B run about 4.5 minutes of compute per round, Covenant-72B
 * windows of 115 blocks of 12 s. No 1B run published one: the 8B run's
 * window is assumed (a run's windows are set by the run, not the model).
 */
const PUBLISHED_COMPUTE_SECONDS: Record<ModelSize, { seconds: number; source: string }> = {
  '1b': { seconds: 270, source: "assumed: the 8B run's 4.5 min (no 1B run published its window)" },
  '8b': { seconds: 270, source: "Covenant's 8B run: about 4.5 min of compute per round" },
  '72b': { seconds: 115 * 12, source: 'Covenant-72B: windows of 115 blocks of 12 s' },
};

/** Above this many parameters the model's weights (4 bytes a parameter) do not fit this machine's memory beside the rest. */
const REAL_AGGREGATE_MAX_PARAMETERS = 2e9;

export interface ModelRoundOptions {
  model: ModelSize;
  rounds: number;
  peers: number;
  upMbit: number;
  downMbit: number;
  rttMs: number;
  blockSeconds: number;
  computeSeconds?: number;
  tokensPerSecond?: number;
  sequential: boolean;
  cacheDir: string;
  trainerExecutable: string;
  corpusDir: string;
}

export async function runModelRound(o: ModelRoundOptions): Promise<void> {
  const shape: ModelShape = MODEL_SIZES[o.model];
  const parameters = parameterCount(shape);
  console.log(`bench:round --model ${o.model}: ${(parameters / 1e9).toFixed(2)}B parameters (${describe(shape)})`);
  const base = parseManifest(devnetManifestDocument(), 'devnet manifest');
  const tokensPerWindow = base.sparseloco.innerSteps * base.optimizer.batchSize * shape.sequenceLength;
  const compute =
    o.computeSeconds !== undefined
      ? { seconds: o.computeSeconds, source: '--compute-seconds' }
      : o.tokensPerSecond !== undefined
        ? { seconds: tokensPerWindow / o.tokensPerSecond, source: `${tokensPerWindow} tokens a window at --tokens-per-second ${o.tokensPerSecond}` }
        : PUBLISHED_COMPUTE_SECONDS[o.model];
  // The window: whole blocks holding the compute and a quarter block for the outer step and the payload write.
  const blocksPerWindow = Math.ceil(compute.seconds / o.blockSeconds + 0.25);
  const template = await modelPayloadTemplate(o.model, shape, o.cacheDir, { k: base.sparseloco.topK, blockSide: Math.sqrt(base.sparseloco.chunkSize) });
  // The published upload deadline (70 s) is shorter than a 72B update takes at 110 Mb/s (87 s): a run of that size
  // must give more, and this one gives twice what the upload takes at the link's rate, when that is more: uploads through the
  // shaped link ran at about 70 % of its rate (8B: 13.6 s for 9.6 s), and a first window that began before the join ends
  // after the chain's (a 72B run's first upload, given 1.5 times, was cut off at the deadline).
  const uploadSeconds = (template.bytes * 8) / (o.upMbit * 1e6);
  const uploadDeadlineSeconds = Math.max(WindowTiming.parse({}).uploadDeadlineSeconds, Math.ceil(2 * uploadSeconds));
  const manifest: RunManifest = parseManifest(
    {
      ...devnetManifestDocument(),
      name: `tandem-bench-round-${o.model}`,
      model: { ...shape },
      // The run's published timing (its defaults), with this benchmark's window and every simulated peer gathered.
      windows: { blocksPerWindow, blockSeconds: o.blockSeconds, uploadDeadlineSeconds, gatherPeers: o.peers, reservePeers: 0 },
    },
    'bench:round manifest',
  );

  console.log(
    `payload: ${mb(template.bytes)} MB a peer a window, ${template.tensors} tensors, ${template.keptValues.toLocaleString('en')} kept values (${((template.bytes * 8) / template.keptValues).toFixed(2)} bits each, ` +
      `${((100 * template.keptValues) / parameters).toFixed(4)} % of the parameters); a real codec payload, ${template.madeInSeconds > 0 ? `made in ${template.madeInSeconds.toFixed(0)} s` : 'from the cache'} (${template.file})`,
  );
  const cost = await measureCodecCosts(shape, o.peers);
  const scale = template.keptValues / cost.sliceKept;
  const extrapolated = { perPayloadSeconds: cost.descendPerPayload * scale, fixedSeconds: cost.descendOnce * scale + cost.digestPerParameter * parameters };
  const aggregate: AggregateCost = parameters <= REAL_AGGREGATE_MAX_PARAMETERS ? { kind: 'real', parameters } : { kind: 'extrapolated', ...extrapolated };
  const ns = (seconds: number) => `${(seconds * 1e9).toFixed(2)} ns`;
  const stageSeconds = cost.stagePerKept * template.keptValues * o.peers;
  const outerSeconds = extrapolated.perPayloadSeconds * (o.peers + 1) + extrapolated.fixedSeconds;
  console.log(
    `codec on this machine (${os.cpus().length} cores), measured on a slice of ${cost.sliceValues.toLocaleString('en')} values and ${o.peers + 1} distinct payloads of it: staging ${ns(cost.stagePerKept)} a kept value; ` +
      `the outer step in place ${ns(cost.descendPerPayload / cost.sliceKept)} a kept value of each payload and ${ns(cost.descendOnce / cost.sliceKept)} once; the model digest ${ns(cost.digestPerParameter)} a parameter;\n` +
      `  scaled to ${o.peers} peers of this model: staging ${stageSeconds.toFixed(1)} s (each payload when it arrives, beside the compute), outer step ${outerSeconds.toFixed(1)} s (after the compute; ${o.peers + 1} payloads with its own, and the digest)`,
  );
  console.log(
    aggregate.kind === 'real'
      ? `  the outer step here runs for real, as the trainer runs it: the staged payloads' aggregate applied in place to ${((parameters * 4) / 1e9).toFixed(1)} GB of weights, then their digest (every peer here sends the same payload, so the peers' coordinates coincide: the slice's distinct payloads are the harder case)`
      : `  the outer step here sleeps the ${outerSeconds.toFixed(1)} s above: extrapolated from the slice (the ${o.model} weights, ${((parameters * 4) / 1e9).toFixed(0)} GB, do not fit this machine)`,
  );
  console.log(`compute: ${compute.seconds.toFixed(0)} s a window (${compute.source}), slept by a stand-in for the GPU; window: ${blocksPerWindow} blocks of ${o.blockSeconds} s; upload deadline ${uploadDeadlineSeconds} s after it (the upload takes ${uploadSeconds.toFixed(1)} s at ${o.upMbit} Mb/s)`);
  console.log(`links: ${o.upMbit} Mb/s up / ${o.downMbit} Mb/s down per peer, ${o.rttMs} ms round trip, at most one TCP window of burst; ${o.peers} peers gathered; ${o.sequential ? 'sequential' : 'overlapped'} schedule; ${o.rounds} measured rounds`);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-model-round-'));
  const storagePort = await freePort();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void (quiet || process.stderr.write(line)) });
  let quiet = false;
  const devnet = await startLocalDevnet({ root, trainerExecutable: o.trainerExecutable, corpusDir: o.corpusDir, logger, simulatedPeers: 0, validator: false, manifest, storagePort });
  const closing: Array<() => Promise<unknown>> = [async () => devnet.close()];
  try {
    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const me = keyring.addFromUri('//BenchRound/me');
    const own = await devnet.admit('me', { coldkey: me, hotkey: me });
    const ownLocation = { endpoint: own.bucket.endpoint, region: own.bucket.region, bucket: own.bucket.bucket, forcePathStyle: own.bucket.forcePathStyle };
    // This machine's own update of a window, read straight from the S3 server (no link): when it is stored, the simulated peers' are.
    const ownStore = new S3Storage({ ...ownLocation, ...own.bucket.write });
    const stored = new Map<number, Date>();
    const storedAt = async (window: number) => {
      const known = stored.get(window);
      if (known) return known;
      const object = await ownStore.head(gradientKey(window, own.uid, manifest.protocolVersion));
      if (object) stored.set(window, object.lastModified);
      return object?.lastModified ?? null;
    };
    // The simulated peers: registered and committed on chain like any peer, their buckets served by the store.
    const simulated = await Promise.all(
      Array.from({ length: o.peers }, async (_, i) => {
        const pair = keyring.addFromUri(`//BenchRound/peer/${i}`);
        const { bucket } = await devnet.admit(`sim-${i}`, { coldkey: pair, hotkey: pair });
        const read = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle, ...bucket.read };
        await publishStorageCommitment({ chain: devnet.chain, netuid: manifest.chain.netuid, hotkey: signerOf(pair), read, logger, checkReadKey: false });
        return bucket.bucket;
      }),
    );
    const store = await startSimulatedPeerStore({ target: { host: '127.0.0.1', port: storagePort }, buckets: new Set(simulated), payloadFile: template.file, payloadBytes: template.bytes, storedAt });
    closing.push(() => store.close());
    // This machine's link: every request it makes to storage, its own uploads and the gather, goes through it.
    const link = await startThrottleProxy({ targetPort: store.port, upBytesPerSecond: o.upMbit * MBIT, downBytesPerSecond: o.downMbit * MBIT, rttMs: o.rttMs });
    closing.push(() => link.close());
    const trainer = new StandInTrainer({ template, computeSeconds: compute.seconds, tokensPerWindow, maxValues: parameters, aggregate });
    const windowStartedAt = new Map<number, number>();
    const runtime = await createNetworkRuntime({
      manifest: o.sequential ? { ...devnet.manifest, windows: { ...devnet.manifest.windows, overlapCommunication: false } } : devnet.manifest,
      chain: devnet.chain,
      hotkey: signerOf(me),
      storage: { write: new S3Storage({ ...ownLocation, endpoint: link.url, ...own.bucket.write }), read: { ...ownLocation, ...own.bucket.read } },
      trainer: () => trainer,
      folder: path.join(root, 'peers', 'me'),
      logger,
      openPeerStorage: (access) => openReadOnly({ ...access, endpoint: link.url }),
      onState: (state) => {
        if (state.block === null) return;
        const w = Math.floor(state.block / blocksPerWindow);
        if (!windowStartedAt.has(w) && state.block % blocksPerWindow === 0) windowStartedAt.set(w, Date.now());
      },
    });
    closing.push(() => runtime.close());

    await runtime.engine.join();
    // Not measured: the join's window (the storage commitments went on chain during it, so no update of it counts:
    // nothing is gathered or stepped), the window after it (its outer step is the join window's, empty), and the last
    // (cut short by the leave). So every measured window's outer step applies a real gathered window.
    const warmUp = 2;
    const want = o.rounds + warmUp + 1;
    const windowMs = blocksPerWindow * o.blockSeconds * 1000;
    const started = Date.now();
    let lastShown = -1;
    for (;;) {
      const { records } = await runtime.ledger.read();
      const trained = new Set(records.filter((r) => r.phase === 'trained').map((r) => r.window));
      const missedSoFar = records.filter((r) => r.phase === 'missed').length;
      if (trained.size >= want) break;
      if (trained.size !== lastShown) {
        lastShown = trained.size;
        console.log(`  ${new Date().toISOString().slice(11, 19)} ${trained.size} of ${want} windows trained${missedSoFar > 0 ? `, ${missedSoFar} missed` : ''} (about ${(((want - trained.size) * windowMs) / 60_000).toFixed(0)} min to go)`);
      }
      // The first window starts at the next window boundary after the join; a missed window costs one more.
      if (Date.now() - started > (want + 2 + missedSoFar) * windowMs + 60_000) throw new Error(`only ${trained.size} of ${want} windows trained (${missedSoFar} missed)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await runtime.engine.leave('after-round');
    const { records } = await runtime.ledger.read();
    const figures = roundFigures(records, windowStartedAt).slice(warmUp, warmUp + o.rounds);
    const byWindow = new Map<number, { uploading: number; gathering: number; transfer: number; bytesDown: number; bytesUp: number }>();
    for (const r of records) {
      const f = byWindow.get(r.window) ?? { uploading: 0, gathering: 0, transfer: 0, bytesDown: 0, bytesUp: 0 };
      f.uploading += r.phaseSeconds?.uploading ?? 0;
      f.gathering += r.phaseSeconds?.gathering ?? 0;
      f.transfer += r.transferSeconds ?? 0;
      f.bytesDown += r.bytesDown ?? 0;
      f.bytesUp += r.bytesUp ?? 0;
      byWindow.set(r.window, f);
    }
    console.log('\nwindow  chain s  wall s  compute s  outer step s  made beside  exposed comm s  window slack s  upload s  gather s (downloading)  checks s  MB up  MB down');
    for (const f of figures) {
      const w = byWindow.get(f.window);
      const s = trainer.windows.get(f.window);
      console.log(
        `${String(f.window).padStart(6)}  ${(f.chainWindow === null ? '?' : f.chainWindow.toFixed(1)).padStart(7)}  ${f.wall.toFixed(1).padStart(6)}  ${f.compute.toFixed(1).padStart(9)}  ${f.outerStep.toFixed(1).padStart(12)}  ${(s?.aggregated ? (s.prepared ? 'yes' : 'no') : '-').padStart(11)}  ${f.exposedCommunication.toFixed(1).padStart(14)}  ${f.windowSlack.toFixed(1).padStart(14)}` +
          `  ${(w?.uploading ?? 0).toFixed(1).padStart(8)}  ${`${(w?.gathering ?? 0).toFixed(1)} (${(w?.transfer ?? 0).toFixed(1)})`.padStart(22)}  ${(s?.checkSeconds ?? 0).toFixed(1).padStart(8)}  ${mb(w?.bytesUp ?? 0).toFixed(0).padStart(5)}  ${mb(w?.bytesDown ?? 0).toFixed(0).padStart(7)}`,
      );
    }
    const u = utilization(figures);
    const mean = (pick: (f: (typeof figures)[number]) => number) => figures.reduce((sum, f) => sum + pick(f), 0) / Math.max(1, figures.length);
    console.log(`\ncompute utilization (compute s of the windows that counted / wall s, idle included): ${(u.raw * 100).toFixed(1)} %`);
    console.log(`exposed communication per round: ${mean((f) => f.exposedCommunication).toFixed(1)} s; outer step after the compute (the aggregate in place + digest${aggregate.kind === 'real' ? '' : ', extrapolated'}; what was left of it where made beside the compute): ${mean((f) => f.outerStep).toFixed(1)} s; window slack: ${mean((f) => f.windowSlack).toFixed(1)} s`);
    // What the stand-in leaves out and the trainer does after its inner steps, before the next window trains: measured on the slice here.
    const encodeSeconds = cost.encodePerParameter * parameters;
    const chainMean = mean((f) => f.chainWindow ?? f.wall);
    console.log(
      `not in the stand-in: the payload encode after the inner steps (error feedback, top-k, 2-bit values of all ${(parameters / 1e9).toFixed(1)}B parameters), ${ns(cost.encodePerParameter)} a parameter on this machine's ${os.cpus().length} cores: ${encodeSeconds.toFixed(1)} s a window; ` +
        `were it after the compute as the trainer does it now, the headline would be about ${((100 * mean((f) => f.compute)) / (chainMean + encodeSeconds)).toFixed(1)} % (a projection from this run's figures, not measured)`,
    );
    console.log(`this peer sent ${mb(link.bytes.up).toFixed(0)} MB and received ${mb(link.bytes.down).toFixed(0)} MB over its link in ${want} windows; the store served ${store.served.updates} simulated updates`);
    const measured = new Set(figures.map((f) => f.window));
    const missed = records.filter((r) => r.phase === 'missed' && measured.has(r.window));
    if (missed.length > 0) console.log(`missed windows: ${missed.map((m) => `${m.window} (${m.reason ?? '?'})`).join('; ')}`);
    console.log(
      "notes: chain = the chain's window (start to next start); wall = this peer's (its training start to the next one's: shorter than the chain's while a peer\n" +
        '  that joined mid-window catches up, which is why the headline divides by the chain\'s); compute = the stand-in\'s inner steps (a sleep of the compute time above, then its payload written); outer step = the staged payloads\' aggregate\n' +
        "  applied to the weights in place, and their digest, after the compute; made beside = named to the trainer when the gather had staged the window's\n" +
        "  payloads, and made while the next window computed (then the outer step is what was left of it); exposed comm = time the next window's training waited on upload/gather; checks = the staging of each\n" +
        "  gathered payload as it arrived (the codec's full check and decode, real, beside the compute). The simulated peers' updates appear when this machine's own\n" +
        '  update of that window is stored.',
    );
  } finally {
    quiet = true;
    for (const close of closing.reverse()) await close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The outer step's costs on this machine, measured on a slice of the model, in seconds. */
interface CodecCosts {
  sliceValues: number;
  /** Kept values of one payload of the slice. */
  sliceKept: number;
  /** Staging a payload (the codec's full check and decode, once, when it arrives), per kept value. */
  stagePerKept: number;
  /** What each more payload adds to the outer step in place, for one payload of the slice. */
  descendPerPayload: number;
  /** What the outer step in place costs whatever the peer count (the plan, the touched coordinates' pass beyond the first), for the slice. */
  descendOnce: number;
  /** The trainer's model digest, per parameter. */
  digestPerParameter: number;
  /** The payload encode after the inner steps (error feedback, top-k, 2-bit quantization), per parameter: not in the stand-in. */
  encodePerParameter: number;
}

/**
 * Measures the outer step on a slice of the model (a few of its hidden-size
 * rows), as the trainer runs it: `peers + 1` distinct payloads of the slice
 * (as distinct peers' updates pick distinct coordinates) staged, then
 * applied in place to the slice's weights, 1 and all of them, so that the
 * cost splits into a part per payload and a part once; and the digest of
 * the slice's weights. Each part scales with the model's kept values, the
 * digest with its parameters.
 */
async function measureCodecCosts(m: ModelShape, peers: number): Promise<CodecCosts> {
  const rows = Math.max(64, Math.round((16 * 1024 * 1024) / m.hiddenSize / 64) * 64);
  const values = rows * m.hiddenSize;
  const random = seededRandom(11);
  const payloads: Buffer[] = [];
  for (let p = 0; p <= peers; p++) payloads.push(await encodeTensors([{ name: 'slice', shape: [rows, m.hiddenSize], data: gaussian(values, random) }], { k: 64, blockSize: 64 }));
  const kept = inspectPayload(payloads[0]!).keptValues;
  const best = async (work: () => Promise<unknown>) => {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await work();
      fastest = Math.min(fastest, (performance.now() - started) / 1000);
    }
    return fastest;
  };
  const staged: StagedPayload[] = [];
  const stageStarted = performance.now();
  for (const payload of payloads) {
    const result = await stagePayload(payload);
    if (!result.ok) throw new Error(`the slice's payload is refused: ${result.message}`);
    staged.push(result.payload);
  }
  const stageSeconds = (performance.now() - stageStarted) / 1000;
  const weights = new Float32Array(values).fill(0.01);
  const one = await best(() => descend(staged.slice(0, 1), weights, 1e-6));
  const all = await best(() => descend(staged, weights, 1e-6));
  const perPayload = Math.max(0, (all - one) / peers);
  const digest = await best(() => weightsDigest(weights));
  const delta = gaussian(values, random);
  const errorFeedback = new Float32Array(values);
  const encode = await best(() => encodeTensors([{ name: 'slice', shape: [rows, m.hiddenSize], data: delta, errorFeedback }], { k: 64, blockSize: 64, beta: 0.95 }));
  return {
    sliceValues: values,
    sliceKept: kept,
    stagePerKept: stageSeconds / (kept * staged.length),
    descendPerPayload: perPayload,
    descendOnce: Math.max(0, one - perPayload),
    digestPerParameter: digest / values,
    encodePerParameter: encode / values,
  };
}

const mb = (bytes: number) => bytes / 1e6;

function describe(m: ModelShape): string {
  return `${m.layers} layers, hidden ${m.hiddenSize}, ${m.heads}/${m.kvHeads} heads, ffn ${m.ffnSize}, vocab ${m.vocabSize}${m.tiedEmbeddings ? ', tied embeddings' : ''}`;
}
