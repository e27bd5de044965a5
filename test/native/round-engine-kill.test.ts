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

describe.skipIf(!built)('RoundEngine with the real trainer killed mid-window', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  let trainer: NativeTrainer;
  let engine: RoundEngine;

  beforeAll(async () => {
    temp = makeTempDir();
    await cryptoWaitReady();
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 150, tempo: 1000, minerEmissionPerTempo: 0n });
  });

  afterAll(async () => {
    await engine?.leave('now');
    await trainer?.stop();
    await chain?.close();
    temp?.cleanup();
  });

  it('restarts the trainer, resumes from the checkpoint, and loses only the window it was killed in', async () => {
    const dataDir = path.join(temp.dir, 'data');
    const made = spawnSync(process.execPath, [path.join(REPO_ROOT, 'native', 'scripts', 'trainer-corpus.mjs'), dataDir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`could not make shards: ${made.stderr}`);
    const trainerLog: Array<{ msg: string; resumed?: boolean }> = [];
    const checkpointFile = path.join(temp.dir, 'trainer.safetensors');
    trainer = new NativeTrainer({
      executable: BINARY,
      model: { vocab_size: 258, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 64, max_position_embeddings: 32, init_seed: 7 },
      train: { seq_len: 32, batch_size: 2, inner_steps: 100, lr: 1e-3, warmup_steps: 0 },
      dataDir,
      checkpointFile,
      peerId: '0',
      logger: pino({ level: 'info' }, { write: (line: string) => void trainerLog.push(JSON.parse(line)) }),
      heartbeatSeconds: 1,
      threads: 1,
      restartPolicy: { backoff: { initialMs: 100, maxMs: 1000, factor: 2 }, breaker: { maxCrashes: 5, windowMs: 60_000 } },
    });
    trainer.start();
    const manifest = parseManifest(
      {
        version: 1,
        name: 'engine-kill-test',
        protocolVersion: '1',
        model: { vocabSize: 258, hiddenSize: 32, layers: 1, heads: 4, kvHeads: 2, ffnSize: 64, sequenceLength: 32 },
        data: { shards: dataDir },
        storage: { kind: 'filesystem', root: temp.dir },
        chain: { network: 'devnet', netuid: 3 },
        // Enough inner steps that a kill at the first one lands mid-window.
        sparseloco: { innerSteps: 100, outerLr: 0.7 },
        windows: { blocksPerWindow: 10, blockSeconds: 0.15, uploadDeadlineSeconds: 3, perPeerTimeoutSeconds: 2, gatherCapSeconds: 3 },
      },
      'test',
    );
    const pair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const uid = await chain.register(3, pair.address, { address: pair.address, sign: async (m) => pair.sign(m) });
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    let killAt: number | null = null;
    let killed: number | null = null;
    engine = new RoundEngine({
      manifest,
      chain,
      self: { uid, hotkey: pair.address },
      storage: new FilesystemStorage(path.join(temp.dir, 'peers', String(uid))),
      peerStorage: () => undefined,
      trainer,
      validatePayload: async (bytes) => ((await validatePayload(bytes)).ok ? { ok: true } : { ok: false, reason: 'invalid' }),
      ledger,
      workDir: path.join(temp.dir, 'work'),
      logger: pino({ level: 'silent' }),
      onState: (s) => {
        // kill -9 in the middle of a window's inner steps, once a checkpoint exists.
        if (killAt !== null && killed === null && s.window !== null && s.window >= killAt && s.timeline.some((span) => span.phase === 'training' && span.endedAt === null) && s.innerStep >= 1 && s.innerStep < 50) {
          const pid = trainer.supervisor.state.pid;
          if (pid) {
            killed = s.window;
            process.kill(pid, 'SIGKILL');
          }
        }
      },
    });
    await engine.join();
    const waitFor = async (what: string, probe: () => Promise<boolean>) => {
      const started = Date.now();
      while (!(await probe())) {
        if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify((await ledger.read()).records)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor('a first applied window', async () => engine.current.completedRounds >= 1 && fs.existsSync(checkpointFile));
    killAt = engine.current.window! + 1;
    await waitFor('the kill and two more rounds', async () => killed !== null && (await ledger.summaries()).filter((s) => s.window > killed! && s.phases.includes('applied')).length >= 2);
    await engine.leave('after-round');

    expect(trainer.supervisor.state.restarts).toBe(1);
    expect(trainerLog.filter((l) => l.msg === 'trainer ready').map((l) => l.resumed)).toEqual([false, true]);
    const summaries = await ledger.summaries();
    const lost = (await ledger.read()).records.filter((r) => r.reason?.startsWith('training failed'));
    expect(lost.map((r) => r.window)).toEqual([killed]);
    expect(lost[0]!.reason).toMatch(/exited \(SIGKILL\)/);
    // Every other window from the first to the last was trained, and every window's aggregate applied.
    const first = summaries[0]!.window;
    const last = summaries.at(-1)!.window;
    for (let w = first; w <= last; w++) {
      const s = summaries.find((x) => x.window === w);
      if (w !== killed) expect(s?.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'gathered', 'applied']));
    }
  });
});
