import { describe, expect, it } from 'vitest';
import { estimateMemoryFit, estimateRound, minimumGpus, parameterCount, payloadBytes, type ModelShape } from '../../../main/services/hardware/memory-fit';

/*
 * Hand computation, written out step by step (do not derive these from the implementation).
 * Model: LLaMA-style decoder, GQA, SwiGLU, RMSNorm, no biases. Mixed precision + FSDP full shard.
 *   bytes/param kept sharded: bf16 weights 2 + bf16 grads 2 + fp32 master 4 + AdamW m 4 + v 4 = 16
 *   with N > 1 GPUs: + 6 bytes × params of the largest wrapped unit (2 gathered bf16 weight copies + 1 bf16 grad)
 *   activations (bf16, per token per layer): norm in h + norm out h + q,k,v (h + 2kv) + attn out h
 *                                            + norm in h + norm out h + gate,up 2f + silu f + gate·up f
 *                                            = 6h + 2kv + 4f values × 2 bytes
 *   logits per token: 6 bytes × vocab (bf16 + fp32 copy for the loss)
 *   checkpointed per token: layers × 2h bytes (layer inputs) + one layer's activations + logits
 *   usable VRAM = 0.95 × VRAM − 1 GiB
 */
const GiB = 2 ** 30;

// ---- 1B: LLaMA-3.2-1B shape, sequence 2048, tied embeddings
const ONE_B: ModelShape = { layers: 16, hiddenSize: 2048, heads: 32, kvHeads: 8, ffnSize: 8192, vocabSize: 128256, sequenceLength: 2048, tiedEmbeddings: true };
// head_dim = 2048/32 = 64; kv width = 64 × 8 = 512
// layer = q 2048·2048 (4,194,304) + o 4,194,304 + k 2048·512 (1,048,576) + v 1,048,576 + mlp 3·2048·8192 (50,331,648) + norms 4,096 = 60,821,504
// 16 layers = 973,144,064; embedding 128,256·2048 = 262,668,288 (tied: once); final norm 2,048
const P_1B = 1_235_814_400;
const STATIC_1B_1GPU = 16 * P_1B; // 19,773,030,400
const STATIC_1B_8GPU = (16 * P_1B) / 8 + 6 * 262_668_288; // 2,471,628,800 + 1,576,009,728 (embedding is the largest unit) = 4,047,638,528
// per token per layer: 6·2048 + 2·512 + 4·8192 = 46,080 values = 92,160 B; logits 6 · 128,256 = 769,536 B
const ACT_1B = 2048 * (16 * 92_160 + 769_536); // 2048 × 2,244,096 = 4,595,908,608
const ACT_1B_CKPT = 2048 * (16 * 2 * 2048 + 92_160 + 769_536); // 2048 × 927,232 = 1,898,971,136

// ---- 72B: LLaMA architecture at Qwen2.5-72B proportions, sequence 2048, untied
const SEVENTY_TWO_B: ModelShape = { layers: 80, hiddenSize: 8192, heads: 64, kvHeads: 8, ffnSize: 29568, vocabSize: 152064, sequenceLength: 2048, tiedEmbeddings: false };
// head_dim 128; kv width 1024
// layer = q,o 2·8192² (134,217,728) + k,v 2·8192·1024 (16,777,216) + mlp 3·8192·29568 (726,663,168) + norms 16,384 = 877,674,496
// 80 layers = 70,213,959,680; embedding + head 2 · 152,064 · 8192 = 2,491,416,576; final norm 8,192
const P_72B = 72_705_384_448;
const STATIC_72B_8GPU = (16 * P_72B) / 8 + 6 * 1_245_708_288; // 145,410,768,896 + 7,474,249,728 = 152,885,018,624
// per token per layer: 6·8192 + 2·1024 + 4·29568 = 169,472 values = 338,944 B; logits 6 · 152,064 = 912,384 B
const ACT_72B = 2048 * (80 * 338_944 + 912_384); // 2048 × 28,027,904 = 57,401,147,392
const ACT_72B_CKPT = 2048 * (80 * 2 * 8192 + 338_944 + 912_384); // 2048 × 2,562,048 = 5,247,074,304

// usable: 24 GiB → 0.95 × 25,769,803,776 − 1,073,741,824 = 23,407,571,763.2
//         80 GiB → 81,604,378,624 − 1,073,741,824 = 80,530,636,800
//        192 GiB → 195,850,508,697.6 − 1,073,741,824 = 194,776,766,873.6
const USABLE = { 24: 23_407_571_763.2, 80: 80_530_636_800, 192: 194_776_766_873.6 } as const;

describe('parameter counts', () => {
  it('1B and 72B match the sums above', () => {
    expect(parameterCount(ONE_B)).toBe(P_1B);
    expect(parameterCount(SEVENTY_TWO_B)).toBe(P_72B);
  });
});

describe('memory fit, hand-computed', () => {
  // [model, gpus, GiB per GPU, largest micro-batch without checkpointing, with checkpointing]
  // 1B × 1 × 24:  left 23,407,571,763.2 − 19,773,030,400 = 3,634,541,363.2 → /4,595,908,608 = 0.79 → 0; /1,898,971,136 = 1.91 → 1
  // 1B × 1 × 80:  left 60,757,606,400 → 13.2 → 13; 31.99 → 31 (32 × 1,898,971,136 = 60,767,076,352 is over)
  // 1B × 1 × 192: left 175,003,736,473.6 → 38.08 → 38; 92.16 → 92
  // 1B × 8 × 24:  left 23,407,571,763.2 − 4,047,638,528 = 19,359,933,235.2 → 4.21 → 4; 10.19 → 10
  // 1B × 8 × 80:  left 76,482,998,272 → 16.64 → 16; 40.27 → 40
  // 1B × 8 × 192: left 190,729,128,345.6 → 41.5 → 41; 100.44 → 100
  // 72B × 1 × any: 16 × P = 1,163,286,151,168 bytes of state alone → nothing fits
  // 72B × 8 × 24 and × 80: 152,885,018,624 of state per GPU > usable → nothing fits
  // 72B × 8 × 192: left 194,776,766,873.6 − 152,885,018,624 = 41,891,748,249.6 → /57,401,147,392 → 0; /5,247,074,304 = 7.98 → 7
  const cases: Array<[string, ModelShape, number, 24 | 80 | 192, number, number]> = [
    ['1B', ONE_B, 1, 24, 0, 1],
    ['1B', ONE_B, 1, 80, 13, 31],
    ['1B', ONE_B, 1, 192, 38, 92],
    ['1B', ONE_B, 8, 24, 4, 10],
    ['1B', ONE_B, 8, 80, 16, 40],
    ['1B', ONE_B, 8, 192, 41, 100],
    ['72B', SEVENTY_TWO_B, 1, 24, 0, 0],
    ['72B', SEVENTY_TWO_B, 1, 80, 0, 0],
    ['72B', SEVENTY_TWO_B, 1, 192, 0, 0],
    ['72B', SEVENTY_TWO_B, 8, 24, 0, 0],
    ['72B', SEVENTY_TWO_B, 8, 80, 0, 0],
    ['72B', SEVENTY_TWO_B, 8, 192, 0, 7],
  ];
  for (const [label, model, gpus, gib, full, ckpt] of cases) {
    it(`${label} on ${gpus} × ${gib} GiB: micro-batch ${full} plain, ${ckpt} checkpointed`, () => {
      const fit = estimateMemoryFit({ model, gpus, vramPerGpuBytes: gib * GiB });
      expect(fit.usableBytesPerGpu).toBeCloseTo(USABLE[gib], 1);
      expect(fit.maxMicroBatch).toBe(full);
      expect(fit.maxMicroBatchCheckpointed).toBe(ckpt);
      expect(fit.fits).toBe(ckpt >= 1);
      if (full >= 1) expect(fit.recommended).toEqual({ microBatch: full, checkpointing: false });
      else if (ckpt >= 1) expect(fit.recommended).toEqual({ microBatch: ckpt, checkpointing: true });
      else {
        expect(fit.recommended).toBeNull();
        expect(fit.reason).toMatch(/needs at least \d+ GPUs|cannot hold it/);
      }
    });
  }

  it('static state and activations per sequence equal the hand sums', () => {
    const one = estimateMemoryFit({ model: ONE_B, gpus: 1, vramPerGpuBytes: 24 * GiB });
    expect(one.staticBytesPerGpu).toBe(STATIC_1B_1GPU);
    expect(one.activationBytesPerSequence).toBe(ACT_1B);
    expect(one.activationBytesPerSequenceCheckpointed).toBe(ACT_1B_CKPT);
    expect(estimateMemoryFit({ model: ONE_B, gpus: 8, vramPerGpuBytes: 24 * GiB }).staticBytesPerGpu).toBe(STATIC_1B_8GPU);
    const big = estimateMemoryFit({ model: SEVENTY_TWO_B, gpus: 8, vramPerGpuBytes: 192 * GiB });
    expect(big.staticBytesPerGpu).toBe(STATIC_72B_8GPU);
    expect(big.activationBytesPerSequence).toBe(ACT_72B);
    expect(big.activationBytesPerSequenceCheckpointed).toBe(ACT_72B_CKPT);
  });

  it('names the fewest GPUs that would hold the 72B model', () => {
    // need 16P/n + 7,474,249,728 + 5,247,074,304 ≤ usable
    // 80 GiB:  16P/n ≤ 67,809,312,768  → n ≥ 17.16 → 18
    // 24 GiB:  16P/n ≤ 10,686,247,731.2 → n ≥ 108.9 → 109
    // 192 GiB: 16P/n ≤ 182,055,442,841.6 → n ≥ 6.39 → 7
    expect(minimumGpus(SEVENTY_TWO_B, 80 * GiB)).toBe(18);
    expect(minimumGpus(SEVENTY_TWO_B, 24 * GiB)).toBe(109);
    expect(minimumGpus(SEVENTY_TWO_B, 192 * GiB)).toBe(7);
    expect(estimateMemoryFit({ model: SEVENTY_TWO_B, gpus: 8, vramPerGpuBytes: 80 * GiB }).reason).toContain('at least 18 GPUs');
  });

  it('no GPU: nothing fits and the reason says so', () => {
    const fit = estimateMemoryFit({ model: ONE_B, gpus: 0, vramPerGpuBytes: 0 });
    expect(fit.fits).toBe(false);
    expect(fit.reason).toMatch(/no GPU/);
  });
});

describe('round estimate', () => {
  it('payload is params × 1.5625 % × 9.4 bits / 8', () => {
    // 72B: 72,705,384,448 × 0.015625 = 1,136,021,632 kept values × 9.4 / 8 = 1,334,825,417.6 B
    expect(payloadBytes(P_72B)).toBeCloseTo(1_334_825_417.6, 1);
    // 1B: 1,235,814,400 × 0.015625 = 19,309,600 × 9.4 / 8 = 22,688,780 B
    expect(payloadBytes(P_1B)).toBeCloseTo(22_688_780, 1);
  });

  it('at 110 Mb/s up a 72B update misses the 70 s deadline, a 1B one makes it', () => {
    const up = 110e6 / 8; // 13,750,000 B/s
    const big = estimateRound({ parameters: P_72B, uploadBytesPerSecond: up, downloadBytesPerSecond: 500e6 / 8 });
    expect(big.uploadSeconds).toBeCloseTo(1_334_825_417.6 / 13_750_000, 6); // ≈ 97.08 s
    expect(big.meetsDeadline).toBe(false);
    // download of 15 peers' updates at 62,500,000 B/s: 15 × 1,334,825,417.6 / 62,500,000 ≈ 320.4 s
    expect(big.downloadSeconds).toBeCloseTo((15 * 1_334_825_417.6) / 62_500_000, 6);
    expect(big.windowSeconds).toBe(115 * 12);
    const small = estimateRound({ parameters: P_1B, uploadBytesPerSecond: up, downloadBytesPerSecond: null });
    expect(small.uploadSeconds).toBeCloseTo(22_688_780 / 13_750_000, 6); // ≈ 1.65 s
    expect(small.meetsDeadline).toBe(true);
    expect(small.computeShare).toBeNull();
  });

  it('without a measured link the deadline is unknown, not assumed', () => {
    expect(estimateRound({ parameters: P_1B, uploadBytesPerSecond: null, downloadBytesPerSecond: null }).meetsDeadline).toBeNull();
  });
});
