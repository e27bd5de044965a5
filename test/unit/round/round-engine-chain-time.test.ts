import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PhaseSpan, RoundState } from '../../../contract/domains/round';
import type { ChainBlock } from '../../../main/ports/chain-port';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { uploadDeadline } from '../../../main/services/round/inclusion';
import { RoundEngine } from '../../../main/services/round/round-engine';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { codecVerdict } from '../../support/devnet-peers';
import { HandMadeChain, type BlockTimes } from '../../support/hand-made-chain';
import { makeTempDir } from '../../support/temp-dir';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

describe('RoundEngine upload deadline of a window whose start block it did not see', () => {
  const self = { uid: 0, hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' };
  let temp: ReturnType<typeof makeTempDir>;
  let manifest: RunManifest;
  let engine: RoundEngine | undefined;

  beforeEach(() => {
    temp = makeTempDir();
    // Subtensor's pace: 12 s blocks, ten to a window; the deadline far enough off that the upload is on time.
    manifest = vectorEngineManifest(temp.dir, 'chain-time-test', { blockSeconds: 12, uploadDeadlineSeconds: 30, gatherCapSeconds: 4 });
  });

  afterEach(async () => {
    await engine?.leave('now');
    engine = undefined;
    temp.cleanup();
  });

  /**
   * Window 1 starts at block 10; blocks 11 and 12 come 20 s and 25 s after
   * the one before (12 s is the aim). The engine joins and first hears of
   * block `firstHeard`, trains window 1 and uploads: the deadline it uploads
   * against, and the warnings it logged.
   */
  async function firstWindowDeadline(blockTimes: BlockTimes, firstHeard: number) {
    const chain = new HandMadeChain(self, blockTimes);
    const startAt = Date.now() - 45_000;
    const times = new Map([
      [10, startAt],
      [11, startAt + 20_000],
      [12, startAt + 45_000],
    ]);
    for (let block = 0; block < 10; block++) chain.make(block, startAt - (10 - block) * 12_000, false);
    for (const [block, at] of times) if (block < firstHeard) chain.make(block, at, false);
    const warnings: Array<{ msg: string; window?: number; block?: number; err?: { message?: string } }> = [];
    const states: RoundState[] = [];
    const storage = new FilesystemStorage(path.join(temp.dir, 'peers', '0'));
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    engine = new RoundEngine({
      manifest,
      chain,
      self,
      storage,
      peerStorage: () => undefined,
      trainer: new VectorTrainer(self.uid),
      validatePayload: codecVerdict,
      ledger,
      workDir: path.join(temp.dir, 'work'),
      logger: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) }),
      onState: (s) => states.push(s),
    });
    await engine.join();
    for (const [block, at] of times) if (block >= firstHeard) chain.make(block, at);
    const uploading = (): PhaseSpan | undefined => states.flatMap((s) => s.timeline).find((span) => span.phase === 'uploading' && span.endedAt !== null);
    await expect.poll(uploading, { timeout: 30_000 }).toBeDefined();
    await engine.leave('after-round');
    const records = (await ledger.read()).records.filter((r) => r.window === 1);
    const block12 = { number: 12, timestamp: times.get(12)! };
    return { deadline: uploading()!.deadline, startAt, block12, warnings, lookups: chain.lookups, phases: records.map((r) => r.phase) };
  }

  const grace = () => (manifest.windows.uploadDeadlineSeconds + manifest.windows.uploadGraceSeconds) * 1000;
  /** The deadline of the inclusion rule: window 1's start block's time, a nominal window and the grace after. */
  const exact = (startAt: number) => startAt + manifest.windows.blocksPerWindow * manifest.windows.blockSeconds * 1000 + grace();
  /** What the engine made of it before it could ask: block 12's time, less two nominal blocks. */
  const extrapolated = (block12: ChainBlock) => uploadDeadline(1, manifest.windows, block12);

  it('joined two blocks in: reads block 10 from the chain, and its deadline is the exact one, which extrapolating from block 12 misses by 21 s', async () => {
    const { deadline, startAt, block12, lookups, warnings, phases } = await firstWindowDeadline('told', 12);
    expect(deadline).toBe(exact(startAt));
    expect(lookups).toEqual([10]);
    // What the engine used to upload against lands 21 s late: blocks 11 and 12 took 45 s, not 24.
    expect(extrapolated(block12) - exact(startAt)).toBe(21_000);
    expect(warnings.filter((w) => w.msg.includes('estimated'))).toEqual([]);
    // On time by the exact deadline, and the window went through.
    expect(phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'gathered', 'applied']));
  });

  it('saw the start block: takes its time as heard and asks the chain nothing', async () => {
    const { deadline, startAt, lookups } = await firstWindowDeadline('told', 10);
    expect(lookups).toEqual([]);
    expect(deadline).toBe(exact(startAt));
  });

  it('a chain that cannot tell block times: the extrapolated deadline, and a warning that says so', async () => {
    const { deadline, startAt, block12, lookups, warnings } = await firstWindowDeadline('untold', 12);
    expect(lookups).toEqual([]);
    expect(deadline).toBe(extrapolated(block12));
    expect(deadline).not.toBe(exact(startAt));
    expect(warnings).toContainEqual(expect.objectContaining({ msg: "the chain cannot tell a past block's time; upload deadlines of windows whose start this node missed are estimated", window: 1 }));
  });

  it('a chain that fails to answer: asked again at upload, then the extrapolated deadline, with the reason logged', async () => {
    const { deadline, block12, lookups, warnings } = await firstWindowDeadline('failing', 12);
    // Once when the window starts, once more for the upload.
    expect(lookups).toEqual([10, 10]);
    expect(deadline).toBe(extrapolated(block12));
    const failed = warnings.filter((w) => w.msg === "could not read the time of the window's start block; its upload deadline is estimated");
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ window: 1, block: 10, err: { message: 'State already discarded' } });
  });

  it('a chain that never answers: the upload waits at most 2 s for it, then goes with the extrapolated deadline, and says so', async () => {
    const { deadline, block12, lookups, warnings, phases } = await firstWindowDeadline('hanging', 12);
    expect(lookups).toEqual([10]);
    expect(deadline).toBe(extrapolated(block12));
    expect(warnings).toContainEqual(expect.objectContaining({ msg: "the chain did not tell the time of the window's start block in time; its upload deadline is estimated", window: 1, waitedSeconds: 2 }));
    expect(phases).toContain('uploaded');
  });
});
