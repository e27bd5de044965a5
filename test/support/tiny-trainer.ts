import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NativeTrainer, type NativeTrainerOptions } from '../../main/adapters/trainer/native-trainer';
import { parseManifest, type RunManifest } from '../../main/ports/run-manifest';
import type { ModelConfig } from '../../main/adapters/trainer/protocol';
import { REPO_ROOT } from './start-app';

/** The trainer executable `npm run build:native` makes; tests that need it skip without it. */
export const TRAINER_BINARY = path.join(REPO_ROOT, 'build', 'trainer', 'tandem-trainer');
export const trainerBuilt = fs.existsSync(TRAINER_BINARY);
/** Why the tests that need it skip (see skip-note.ts). */
export const TRAINER_NOT_BUILT = `${TRAINER_BINARY} is not built (npm run build:native)`;

/** The smallest LLaMA the trainer tests run (one layer, 32 wide, the byte vocabulary), fast on one CPU thread. */
export const TINY_MODEL = {
  vocab_size: 258,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 32,
  init_seed: 7,
} satisfies ModelConfig;

/** Writes the trainer's test corpus (train and val shards) into `dataDir`. */
export function makeTrainerShards(dataDir: string): void {
  const made = spawnSync(process.execPath, [path.join(REPO_ROOT, 'native', 'scripts', 'trainer-corpus.mjs'), dataDir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`could not make shards: ${made.stderr}`);
}

/**
 * A trainer of TINY_MODEL on short sequences, `innerSteps` per window, one
 * thread; the rest of its options as a test sets them (the executable
 * included, for a stand-in that crashes).
 */
export function tinyTrainer(options: { innerSteps: number } & Omit<NativeTrainerOptions, 'executable' | 'model' | 'train'> & Partial<Pick<NativeTrainerOptions, 'executable'>>): NativeTrainer {
  const { innerSteps, ...rest } = options;
  return new NativeTrainer({
    executable: TRAINER_BINARY,
    model: TINY_MODEL,
    train: { seq_len: 32, batch_size: 2, inner_steps: innerSteps, lr: 1e-3, warmup_steps: 0 },
    threads: 1,
    ...rest,
  });
}

/** The run manifest of TINY_MODEL trained on `shards`, with the outer step and window timing a test needs. */
export function tinyModelManifest(name: string, run: { root: string; shards: string; sparseloco: { innerSteps: number; outerLr: number }; windows: Partial<RunManifest['windows']> }): RunManifest {
  const m = TINY_MODEL;
  return parseManifest(
    {
      version: 1,
      name,
      protocolVersion: '1',
      model: { vocabSize: m.vocab_size, hiddenSize: m.hidden_size, layers: m.num_hidden_layers, heads: m.num_attention_heads, kvHeads: m.num_key_value_heads, ffnSize: m.intermediate_size, sequenceLength: m.max_position_embeddings },
      data: { shards: run.shards },
      storage: { kind: 'filesystem', root: run.root },
      chain: { network: 'devnet', netuid: 3 },
      sparseloco: run.sparseloco,
      windows: run.windows,
    },
    'test',
  );
}
