import { describe, expect, it } from 'vitest';
import { encodeTensors } from '../../../main/adapters/codec';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { parameterCount } from '../../../main/services/hardware/memory-fit';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { payloadLimitBytes } from '../../../main/services/round/payload-limit';

/** An honest update of the run's model: every tensor of its LLaMA shape, random, encoded by the real codec with the run's top-k. */
async function honestPayload(manifest: RunManifest): Promise<Uint8Array> {
  const m = manifest.model;
  const kv = (m.hiddenSize / m.heads) * m.kvHeads;
  const shapes: Array<[string, number[]]> = [['embed', [m.vocabSize, m.hiddenSize]], ['norm', [m.hiddenSize]]];
  if (!m.tiedEmbeddings) shapes.push(['head', [m.vocabSize, m.hiddenSize]]);
  for (let l = 0; l < m.layers; l++) {
    shapes.push([`${l}.q`, [m.hiddenSize, m.hiddenSize]], [`${l}.k`, [kv, m.hiddenSize]], [`${l}.v`, [kv, m.hiddenSize]], [`${l}.o`, [m.hiddenSize, m.hiddenSize]]);
    shapes.push([`${l}.gate`, [m.ffnSize, m.hiddenSize]], [`${l}.up`, [m.ffnSize, m.hiddenSize]], [`${l}.down`, [m.hiddenSize, m.ffnSize]], [`${l}.n1`, [m.hiddenSize]], [`${l}.n2`, [m.hiddenSize]]);
  }
  let seed = 1;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const tensors = shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return { name, shape, data: Float32Array.from({ length: size }, random), errorFeedback: new Float32Array(size) };
  });
  expect(tensors.reduce((n, t) => n + t.data.length, 0)).toBe(parameterCount(m));
  return encodeTensors(tensors, { k: manifest.sparseloco.topK, blockSize: Math.round(Math.sqrt(manifest.sparseloco.chunkSize)), beta: manifest.sparseloco.errorFeedbackBeta });
}

describe('the largest payload a peer downloads', () => {
  it('holds an honest update of the run\u2019s model with room to spare, and stays far below the dense model', async () => {
    const devnet = devnetManifest();
    const wider: RunManifest = { ...devnet, model: { ...devnet.model, hiddenSize: 256, ffnSize: 704, layers: 4, heads: 8, kvHeads: 4, vocabSize: 258 } };
    for (const manifest of [devnet, wider]) {
      const honest = (await honestPayload(manifest)).byteLength;
      const limit = payloadLimitBytes(manifest);
      expect(limit).toBeGreaterThan(2 * honest);
      // Dense fp32 weights of the model: a limit this size would let anyone make every peer download a model's worth.
      expect(limit).toBeLessThan(4 * parameterCount(manifest.model) + 2 * 1024 * 1024);
    }
    // At real scale the fixed allowance is noise: a 1B-parameter run's limit is about 0.19 bytes per parameter.
    const big: RunManifest = { ...devnet, model: { ...devnet.model, hiddenSize: 2048, ffnSize: 5632, layers: 22, heads: 32, kvHeads: 4, vocabSize: 32000, sequenceLength: 2048 } };
    expect(payloadLimitBytes(big) / parameterCount(big.model)).toBeCloseTo(4 * (64 / 4096) + 1 / 8, 2);
  });
});
