import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectPayload } from '../../main/adapters/codec';
import { parameterCount, type ModelShape } from '../../main/services/hardware/memory-fit';
import { modelTensors, payloadSize } from '../../bench/round/model-payload';
import { modelPayloadTemplate } from '../../bench/round/payload-template';
import { makeTempDir } from '../support/temp-dir';

// bench:round sends a whole model's update without encoding the dense model: one record per tensor shape,
// given to every tensor of that shape under its own name. It must be a valid payload of that model.
describe('a whole-model payload assembled from one record per tensor shape', () => {
  const small: ModelShape = { layers: 3, hiddenSize: 256, heads: 4, kvHeads: 2, ffnSize: 704, vocabSize: 1024, sequenceLength: 128, tiedEmbeddings: false };

  it('passes the codec check with every tensor of the model, its name and shape, and the size the codec gives the model', async () => {
    const temp = makeTempDir('tandem-template-');
    try {
      const template = await modelPayloadTemplate('small', small, temp.dir);
      const info = inspectPayload(fs.readFileSync(template.file), { maxValues: parameterCount(small) });
      expect(info.tensors.map((t) => [t.name, t.shape])).toEqual(modelTensors(small).map((t) => [t.name, t.shape]));
      expect(info.keptValues).toBe(template.keptValues);
      // Within 1 % of the size the codec gives this model from its slices (payload-size test: within 1 % of whole).
      const estimate = await payloadSize(small);
      expect(Math.abs(template.bytes - estimate.bytes) / estimate.bytes).toBeLessThan(0.01);
      // A second call takes it from the cache, checked again.
      expect(await modelPayloadTemplate('small', small, temp.dir)).toMatchObject({ bytes: template.bytes, madeInSeconds: 0 });
      // A damaged cached file is not used: it is made again.
      const bytes = fs.readFileSync(template.file);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
      fs.writeFileSync(template.file, bytes);
      const again = await modelPayloadTemplate('small', small, temp.dir);
      expect(again.madeInSeconds).toBeGreaterThan(0);
      expect(again.bytes).toBe(template.bytes);
    } finally {
      temp.cleanup();
    }
  });
});
