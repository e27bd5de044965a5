import fs from 'node:fs';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoundState } from '../../../contract/domains/round';
import { DevnetChain } from '../../../main/devnet/devnet-chain';
import { RoundLedger } from '../../../main/ledger/round-ledger';
import { NativeTrainer } from '../../../main/round/native-trainer';
import { RoundEngine } from '../../../main/round/round-engine';
import { parseManifest } from '../../../main/run/manifest';
import { FilesystemStorage } from '../../../main/storage/filesystem-storage';
import { makeTempDir } from '../../support/temp-dir';

const logger = pino({ level: 'silent' });

describe('a trainer that crashes on start', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  let trainer: NativeTrainer | undefined;
  let engine: RoundEngine | undefined;

  beforeEach(async () => {
    temp = makeTempDir();
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 50, tempo: 1000, minerEmissionPerTempo: 0n });
  });

  afterEach(async () => {
    await engine?.leave('now');
    await trainer?.stop();
    await chain.close();
    temp.cleanup();
  });

  it('opens the breaker after 5 crashes and the round state turns to error with its last stderr lines', async () => {
    // A "trainer" that dies at once, saying why on stderr, as a broken install would.
    const executable = path.join(temp.dir, 'broken-trainer');
    const starts = path.join(temp.dir, 'starts');
    fs.writeFileSync(executable, `#!/bin/sh\necho x >> '${starts}'\necho 'fatal: libcudart.so.12: cannot open shared object file' >&2\necho 'hint: install the CUDA runtime' >&2\nexit 3\n`, { mode: 0o755 });
    trainer = new NativeTrainer({
      executable,
      model: { vocab_size: 258, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 64, max_position_embeddings: 32 },
      train: { seq_len: 32, batch_size: 2, inner_steps: 3 },
      dataDir: temp.dir,
      checkpointFile: path.join(temp.dir, 'trainer.safetensors'),
      peerId: '0',
      logger,
      restartPolicy: { backoff: { initialMs: 20, maxMs: 200, factor: 2 }, breaker: { maxCrashes: 5, windowMs: 60_000 } },
    });
    const manifest = parseManifest(
      {
        version: 1,
        name: 'crash-loop-test',
        protocolVersion: '1',
        model: { vocabSize: 258, hiddenSize: 32, layers: 1, heads: 4, kvHeads: 2, ffnSize: 64, sequenceLength: 32 },
        data: { shards: temp.dir },
        storage: { kind: 'filesystem', root: temp.dir },
        chain: { network: 'devnet', netuid: 3 },
        sparseloco: { innerSteps: 3, outerLr: 1 },
        windows: { blocksPerWindow: 10, blockSeconds: 0.05, uploadDeadlineSeconds: 2, perPeerTimeoutSeconds: 2, gatherCapSeconds: 4 },
      },
      'test',
    );
    await cryptoWaitReady();
    const pair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const uid = await chain.register(3, pair.address, { address: pair.address, sign: async (m) => pair.sign(m) });
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    const states: RoundState[] = [];
    engine = new RoundEngine({
      manifest,
      chain,
      self: { uid, hotkey: pair.address },
      storage: new FilesystemStorage(path.join(temp.dir, 'peers', String(uid))),
      peerStorage: () => undefined,
      trainer,
      validatePayload: async () => ({ ok: true }),
      ledger,
      workDir: path.join(temp.dir, 'work'),
      logger,
      onState: (s) => states.push(s),
    });
    trainer.start();
    await engine.join();

    // What the UI is streamed: phase error, with the crash loop and the trainer's own last words.
    const shown = await new Promise<RoundState>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no error state; last: ${JSON.stringify(states.at(-1))}`)), 30_000);
      const check = setInterval(() => {
        const hit = states.find((s) => s.phase === 'error' && s.blocker?.includes('cannot open shared object file'));
        if (!hit) return;
        clearInterval(check);
        clearTimeout(timer);
        resolve(hit);
      }, 20);
    });
    expect(shown.blocker).toMatch(/^training failed: stopped restarting: 5 crashes within 1 min \(last: exited with code 3\)/);
    expect(shown.blocker).toContain('fatal: libcudart.so.12: cannot open shared object file | hint: install the CUDA runtime');
    expect(trainer.supervisor.state.status).toBe('failed');
    // The breaker stays open: no sixth start on its own.
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.readFileSync(starts, 'utf8').trim().split('\n')).toHaveLength(5);
    // Every window's training failed for that one reason (the catch-up and outer-step lines that follow are other facts).
    const failedTraining = (await ledger.read()).records.filter((r) => r.phase === 'missed' && r.reason?.startsWith('training failed'));
    expect(failedTraining.length).toBeGreaterThan(0);
    for (const r of failedTraining) expect(r.reason).toMatch(/^training failed: stopped restarting: 5 crashes/);
  });
});
