import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePayload } from '../../main/codec';
import { DevnetChain } from '../../main/devnet/devnet-chain';
import { RoundLedger } from '../../main/ledger/round-ledger';
import { NativeTrainer } from '../../main/round/native-trainer';
import { RoundEngine } from '../../main/round/round-engine';
import { parseManifest } from '../../main/run/manifest';
import { FilesystemStorage } from '../../main/storage/filesystem-storage';
import { REPO_ROOT } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

const BINARY = path.join(REPO_ROOT, 'build', 'trainer', 'tandem-trainer');
const built = fs.existsSync(BINARY);
const logger = pino({ level: 'silent' });

describe.skipIf(!built)('overlapped rounds with the real trainer', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  const trainers: NativeTrainer[] = [];
  const engines: RoundEngine[] = [];

  beforeAll(async () => {
    temp = makeTempDir();
    await cryptoWaitReady();
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 150, tempo: 1000, minerEmissionPerTempo: 0n });
  });

  afterAll(async () => {
    await Promise.all(engines.map((e) => e.leave('now')));
    await Promise.all(trainers.map((t) => t.stop()));
    await chain?.close();
    temp?.cleanup();
  });

  it('two peers that train different data and apply the delayed aggregates end with bit-identical models', async () => {
    const dataDir = path.join(temp.dir, 'data');
    const made = spawnSync(process.execPath, [path.join(REPO_ROOT, 'native', 'scripts', 'trainer-corpus.mjs'), dataDir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`could not make shards: ${made.stderr}`);
    const manifest = parseManifest(
      {
        version: 1,
        name: 'engine-sync-test',
        protocolVersion: '1',
        model: { vocabSize: 258, hiddenSize: 32, layers: 1, heads: 4, kvHeads: 2, ffnSize: 64, sequenceLength: 32 },
        data: { shards: dataDir },
        storage: { kind: 'filesystem', root: temp.dir },
        chain: { network: 'devnet', netuid: 3 },
        sparseloco: { innerSteps: 4, outerLr: 0.7 },
        windows: { blocksPerWindow: 10, blockSeconds: 0.15, uploadDeadlineSeconds: 3, perPeerTimeoutSeconds: 3, gatherCapSeconds: 4 },
      },
      'test',
    );
    const storageOf = (uid: number) => new FilesystemStorage(path.join(temp.dir, 'peers', String(uid)));
    const keyring = new Keyring({ type: 'sr25519' });
    const ledgers: RoundLedger[] = [];
    for (const name of ['Alice', 'Bob']) {
      const pair = keyring.addFromUri(`//${name}`);
      const uid = await chain.register(3, pair.address, { address: pair.address, sign: async (m) => pair.sign(m) });
      const trainer = new NativeTrainer({
        executable: BINARY,
        model: { vocab_size: 258, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 64, max_position_embeddings: 32, init_seed: 7 },
        train: { seq_len: 32, batch_size: 2, inner_steps: 4, lr: 1e-3, warmup_steps: 0 },
        dataDir,
        checkpointFile: path.join(temp.dir, name, 'trainer.safetensors'),
        peerId: String(uid),
        logger,
        threads: 1,
      });
      trainer.start();
      const ledger = new RoundLedger(path.join(temp.dir, name, 'rounds.ndjson'));
      const engine = new RoundEngine({
        manifest,
        chain,
        self: { uid, hotkey: pair.address },
        storage: storageOf(uid),
        peerStorage: storageOf,
        trainer,
        validatePayload: async (bytes) => ((await validatePayload(bytes)).ok ? { ok: true } : { ok: false, reason: 'invalid' }),
        ledger,
        workDir: path.join(temp.dir, name, 'work'),
        logger,
      });
      trainers.push(trainer);
      engines.push(engine);
      ledgers.push(ledger);
    }
    await Promise.all(engines.map((e) => e.join()));
    const started = Date.now();
    while (!engines.every((e) => e.current.completedRounds >= 3)) {
      if (Date.now() - started > 90_000) throw new Error(`rounds: ${engines.map((e) => e.current.completedRounds).join(',')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(engines.map((e) => e.leave('after-round')));

    // Both applied the same windows, each with both peers' updates...
    const appliedWindows = await Promise.all(ledgers.map(async (l) => (await l.summaries()).filter((s) => s.phases.includes('applied')).map((s) => s.window)));
    expect(appliedWindows[0]).toEqual(appliedWindows[1]);
    expect(appliedWindows[0]!.length).toBeGreaterThanOrEqual(3);
    // ...and their models agree to the last bit: the same loss on the same held-out batches.
    const losses = await Promise.all(trainers.map((t) => t.evaluate({ peerId: 'probe', window: 0, steps: 2, split: 'val' })));
    expect(Number.isFinite(losses[0]!.lossBefore)).toBe(true);
    expect(losses[1]!.lossBefore).toBe(losses[0]!.lossBefore);
  });
});
