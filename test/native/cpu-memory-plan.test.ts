import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeTrainer } from '../../main/adapters/trainer/native-trainer';
import type { ModelShape } from '../../main/services/hardware/memory-fit';
import { planCpuMemory } from '../../main/services/hardware/cpu-memory-plan';
import { skippedUnless } from '../support/skip-note';
import { makeTempDir } from '../support/temp-dir';
import { makeTrainerShards, TRAINER_BINARY, TRAINER_NOT_BUILT, trainerBuilt } from '../support/tiny-trainer';

/**
 * Issue 22: the app predicts the CPU trainer's memory before it runs, with
 * the trainer's own sums. Three models: a tiny one (what the trainer holds
 * besides the model: the executable, its libraries, the data), one whose
 * weights dominate, and one whose attention probabilities (long sequences)
 * do. For each, the app's plan equals the trainer's `memory_plan`, and the
 * resident memory the trainer reports during the second window's steps (when
 * the error feedback exists too) grows from the tiny model's by what the plan
 * says, within a tenth.
 */
interface Case {
  name: string;
  model: ModelShape;
  batchSize: number;
}

const byteVocabulary = { vocabSize: 258, tiedEmbeddings: false };
const CASES: Case[] = [
  { name: 'tiny', model: { layers: 1, hiddenSize: 32, heads: 4, kvHeads: 2, ffnSize: 64, sequenceLength: 32, ...byteVocabulary }, batchSize: 2 },
  { name: 'weights', model: { layers: 4, hiddenSize: 384, heads: 6, kvHeads: 2, ffnSize: 1024, sequenceLength: 32, ...byteVocabulary }, batchSize: 2 },
  { name: 'attention', model: { layers: 2, hiddenSize: 64, heads: 8, kvHeads: 4, ffnSize: 172, sequenceLength: 256, ...byteVocabulary }, batchSize: 8 },
];

/** Within a tenth of what the plan says (allocator rounding, libraries' buffers that grow with the matrices). */
const TOLERANCE = 0.1;

interface Measured {
  plan: NonNullable<NativeTrainer['memoryPlan']>;
  microBatch: number;
  peakStepBytes: number;
}

async function trainTwoWindows(c: Case, dataDir: string, dir: string): Promise<Measured> {
  const m = c.model;
  const trainer = new NativeTrainer({
    executable: TRAINER_BINARY,
    model: { vocab_size: m.vocabSize, hidden_size: m.hiddenSize, num_hidden_layers: m.layers, num_attention_heads: m.heads, num_key_value_heads: m.kvHeads, intermediate_size: m.ffnSize, max_position_embeddings: m.sequenceLength, tie_word_embeddings: m.tiedEmbeddings, init_seed: 3 },
    train: { seq_len: m.sequenceLength, batch_size: c.batchSize, inner_steps: 2, lr: 1e-3, warmup_steps: 0 },
    threads: 1,
    dataDir,
    checkpointFile: path.join(dir, `${c.name}.safetensors`),
    peerId: 'peer-1',
    logger: pino({ level: 'silent' }),
    heartbeatSeconds: 0,
  });
  trainer.start();
  try {
    let peak = 0;
    for (const window of [1, 2]) {
      const trained = await trainer.trainWindow({ window, innerSteps: 2, peerUid: 1, payloadFile: path.join(dir, `${c.name}-${window}.tndc`) }, (step) => {
        if (window === 2 && step.memoryBytes !== undefined) peak = Math.max(peak, step.memoryBytes);
      });
      await trainer.applyOuter({ window, payloadFiles: [trained.payloadFile], lr: 0.4 });
    }
    if (!trainer.memoryPlan) throw new Error('the trainer reported no memory_plan on the CPU');
    return { plan: trainer.memoryPlan, microBatch: trainer.memoryPlan.activation_bytes / trainer.memoryPlan.activation_bytes_per_sequence, peakStepBytes: peak };
  } finally {
    await trainer.stop();
  }
}

describe.skipIf(!trainerBuilt || process.platform !== 'linux')(
  `the CPU trainer's memory, planned before it runs and measured while it trains${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}${process.platform === 'linux' ? '' : ' (skipped: resident memory is read from /proc, Linux only)'}`,
  () => {
    const temp = makeTempDir('tandem-memory-plan-');
    const dataDir = path.join(temp.dir, 'data');
    const measured = new Map<string, Measured>();

    beforeAll(async () => {
      makeTrainerShards(dataDir);
      for (const c of CASES) measured.set(c.name, await trainTwoWindows(c, dataDir, temp.dir));
    }, 240_000);

    afterAll(() => temp.cleanup());

    it('plans the same bytes as the trainer does (state, activations per sequence, the prepared copy)', () => {
      for (const c of CASES) {
        const trainer = measured.get(c.name)!;
        const app = planCpuMemory(c.model, { seqLen: c.model.sequenceLength, batchSize: c.batchSize, availableBytes: null });
        expect({ case: c.name, state: app.stateBytes, perSequence: app.activationBytesPerSequence, preparation: app.preparationBytes }).toEqual({
          case: c.name,
          state: trainer.plan.state_bytes,
          perSequence: trainer.plan.activation_bytes_per_sequence,
          preparation: trainer.plan.preparation_bytes,
        });
        // This machine has the memory for a whole batch at once, so both choose it.
        expect(trainer.microBatch).toBe(app.microBatch);
        expect(trainer.plan.step_bytes).toBe(app.stepBytes);
      }
    });

    it('holds what the plan says while it trains: the growth over the tiny model is within a tenth of the planned growth', () => {
      const tiny = measured.get('tiny')!;
      const lines: string[] = [];
      for (const c of CASES.filter((x) => x.name !== 'tiny')) {
        const m = measured.get(c.name)!;
        const planned = m.plan.step_bytes - tiny.plan.step_bytes;
        const grew = m.peakStepBytes - tiny.peakStepBytes;
        lines.push(`${c.name}: planned +${(planned / 2 ** 20).toFixed(1)} MiB, measured +${(grew / 2 ** 20).toFixed(1)} MiB (${((grew / planned) * 100).toFixed(0)} %)`);
        expect(grew, lines.join('; ')).toBeGreaterThan(planned * (1 - TOLERANCE));
        expect(grew, lines.join('; ')).toBeLessThan(planned * (1 + TOLERANCE));
      }
      console.log(`CPU memory plan against the trainer's resident memory: ${lines.join('; ')}`);
    });
  },
);
