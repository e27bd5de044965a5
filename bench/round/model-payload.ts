import { encodeTensors, inspectPayload } from '../../main/adapters/codec';
import { standardNormal } from '../../main/core/standard-normal';
import { parameterCount, kvWidth, type ModelShape } from '../../main/services/hardware/memory-fit';

/**
 * Models of the sizes issue 20 asks the round benchmark to carry, with the
 * published shapes of open models of those sizes (so that the chunk grid is a
 * real one, not a guess): Llama 3.2 1B (tied embeddings), Llama 3.1 8B and
 * Qwen2 72B, all LLaMA-style decoders with GQA and SwiGLU.
 */
export const MODEL_SIZES = {
  '1b': { layers: 16, hiddenSize: 2048, heads: 32, kvHeads: 8, ffnSize: 8192, vocabSize: 128256, sequenceLength: 2048, tiedEmbeddings: true },
  '8b': { layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, ffnSize: 14336, vocabSize: 128256, sequenceLength: 2048, tiedEmbeddings: false },
  '72b': { layers: 80, hiddenSize: 8192, heads: 64, kvHeads: 8, ffnSize: 29568, vocabSize: 152064, sequenceLength: 2048, tiedEmbeddings: false },
} satisfies Record<string, ModelShape>;
export type ModelSize = keyof typeof MODEL_SIZES;

/** One tensor of the model: its name as LLaMA-style checkpoints call it, and its shape (rows × columns). */
export interface ModelTensor {
  name: string;
  shape: [number, number] | [number];
}

/** Every tensor of the model: per layer q, o (h×h), k, v (kv×h), gate, up (f×h), down (h×f), two norms (h); the embedding, the final norm, the head unless tied. */
export function modelTensors(m: ModelShape): ModelTensor[] {
  const h = m.hiddenSize;
  const kv = kvWidth(m);
  const f = m.ffnSize;
  const tensors: ModelTensor[] = [{ name: 'model.embed_tokens.weight', shape: [m.vocabSize, h] }];
  for (let l = 0; l < m.layers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      { name: `${p}.self_attn.q_proj.weight`, shape: [h, h] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, h] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, h] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [h, h] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [f, h] },
      { name: `${p}.mlp.up_proj.weight`, shape: [f, h] },
      { name: `${p}.mlp.down_proj.weight`, shape: [h, f] },
      { name: `${p}.input_layernorm.weight`, shape: [h] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [h] },
    );
  }
  tensors.push({ name: 'model.norm.weight', shape: [h] });
  if (!m.tiedEmbeddings) tensors.push({ name: 'lm_head.weight', shape: [m.vocabSize, h] });
  return tensors;
}

/** A distinct tensor shape of the model and how many tensors have it. */
interface ShapeCount {
  shape: [number, number] | [number];
  count: number;
}

/** The model's tensors grouped by shape, in order of first appearance. */
export function tensorShapes(m: ModelShape): ShapeCount[] {
  const groups = new Map<string, ShapeCount>();
  for (const { shape } of modelTensors(m)) {
    const key = shape.join('x');
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { shape, count: 1 });
  }
  return [...groups.values()];
}

export interface PayloadSize {
  parameters: number;
  keptValues: number;
  bytes: number;
  bitsPerKeptValue: number;
  /** How the figure was made, for the output. */
  method: string;
}

/** At most this many values are encoded per shape: a few 64-row slices of it, not the whole (a 72B head is 1.2G values). */
const SLICE_VALUES = 4 * 1024 * 1024;

/**
 * One peer's payload for one window of this model, from the codec itself.
 * For each distinct tensor shape the codec encodes two slices of Gaussian
 * values with the tensor's column layout (so the same chunks): one of b bands
 * of chunk rows and one of 2b. Their difference is what b bands cost; the rest
 * of the smaller one is the tensor's fixed cost (its record header, stream
 * lengths, level table). A tensor of B bands then costs fixed + B/b × the
 * bands' cost, and the payload's own header is counted once. Gaussian Δ is an
 * assumption: real pseudo-gradients are heavier-tailed, which moves the level
 * entropy by a fraction of a bit, not the index cost (about 7.4 bits).
 */
export async function payloadSize(m: ModelShape, options: { k?: number; blockSide?: number; sliceValues?: number; random?: () => number } = {}): Promise<PayloadSize> {
  const { k = 64, blockSide = 64, sliceValues = SLICE_VALUES, random = Math.random } = options;
  const encodedBytes = async (shape: number[]) => {
    const payload = await encodeTensors([{ name: TENSOR_NAME, shape, data: gaussian(shape.reduce((a, b) => a * b, 1), random) }], { k, blockSize: blockSide });
    const info = inspectPayload(payload);
    return { total: info.totalBytes, tensor: info.totalBytes - payloadHeaderBytes(info), kept: info.keptValues };
  };
  let bytes = 0;
  let kept = 0;
  let payloadHeader = 0;
  for (const { shape, count } of tensorShapes(m)) {
    const [rows, cols] = shape.length === 2 ? shape : [1, shape[0]];
    const bands = Math.ceil(rows / blockSide);
    // A 1-D tensor, or one too small to slice twice: encoded whole.
    const sliceBands = Math.max(1, Math.floor(sliceValues / cols / blockSide / 2));
    if (shape.length === 1 || bands < 2 * sliceBands) {
      const whole = await encodedBytes([...shape]);
      bytes += count * whole.tensor;
      kept += count * whole.kept;
      payloadHeader = whole.total - whole.tensor;
      continue;
    }
    const one = await encodedBytes([sliceBands * blockSide, cols]);
    const two = await encodedBytes([2 * sliceBands * blockSide, cols]);
    const perBands = two.tensor - one.tensor;
    const fixed = one.tensor - perBands;
    const scale = rows / (sliceBands * blockSide);
    bytes += count * (fixed + perBands * scale);
    kept += count * one.kept * scale;
    payloadHeader = one.total - one.tensor;
  }
  bytes = Math.ceil(bytes + payloadHeader);
  return {
    parameters: parameterCount(m),
    keptValues: Math.round(kept),
    bytes,
    bitsPerKeptValue: (bytes * 8) / kept,
    method: `encoded by the codec on two slices of each tensor shape (up to ${(sliceValues / 1024 / 1024).toFixed(1)}M Gaussian values) and scaled by its chunk rows`,
  };
}

/** A tensor name as long as a real one's (the record header holds it). */
export const TENSOR_NAME = 'model.layers.10.self_attn.q_proj.weight';

/** The payload's own bytes besides its tensor records. */
function payloadHeaderBytes(info: ReturnType<typeof inspectPayload>): number {
  return info.totalBytes - info.tensors.reduce((sum, t) => sum + t.headerBytes + t.indexBytes + t.levelBytes, 0);
}

/** n standard normal values (from `random`'s uniforms: a seeded one makes them reproducible). */
export function gaussian(n: number, random: () => number = Math.random): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = standardNormal(random);
  return out;
}
