import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parameterCount, type ModelShape } from '../../main/services/hardware/memory-fit';
import { modelPayloadTemplate } from '../../bench/round/payload-template';
import { StandInTrainer } from '../../bench/round/stand-in-trainer';
import { makeTempDir } from '../support/temp-dir';

// bench:round's stand-in for the trainer does the outer step as the trainer does it, on weights of the
// model's size: gathered payloads staged once as they arrive, their aggregate applied in place, the weights digested.
describe("bench:round's stand-in trainer", () => {
  const small: ModelShape = { layers: 2, hiddenSize: 128, heads: 4, kvHeads: 2, ffnSize: 352, vocabSize: 512, sequenceLength: 64, tiedEmbeddings: false };

  it('stages gathered payloads, refuses a damaged one, and applies the staged ones to weights of the whole model', async () => {
    const temp = makeTempDir('tandem-stand-in-');
    try {
      const template = await modelPayloadTemplate('small', small, temp.dir);
      const trainer = new StandInTrainer({ template, computeSeconds: 0.01, tokensPerWindow: 1, maxValues: parameterCount(small), aggregate: { kind: 'real', parameters: parameterCount(small) } });
      const damaged = path.join(temp.dir, 'damaged.tndc');
      const bytes = fs.readFileSync(template.file);
      bytes.writeUInt8(bytes.readUInt8(100) ^ 0xff, 100);
      fs.writeFileSync(damaged, bytes);

      expect(await trainer.stagePayload({ key: '7/1', file: template.file })).toEqual({ ok: true });
      expect(await trainer.stagePayload({ key: '7/2', file: damaged })).toMatchObject({ ok: false, reason: expect.stringContaining('checksum') });
      // One staged payload, one applied from its file (the trainer's fallback when it lost what it staged).
      const first = await trainer.applyOuter({ window: 7, payloadFiles: [template.file, template.file], staged: ['7/1', '7/3'], lr: 0.5 });
      expect(first.modelDigest).toMatch(/^[0-9a-f]{16}$/);
      expect(trainer.windows.get(7)).toMatchObject({ checked: 2, aggregated: 2 });
      // The weights moved: the next step starts from where this one left them.
      const second = await trainer.applyOuter({ window: 8, payloadFiles: [template.file], lr: 0.5 });
      expect(second.modelDigest).not.toBe(first.modelDigest);
      await expect(trainer.applyOuter({ window: 9, payloadFiles: [damaged], lr: 0.5 })).rejects.toThrow(/refused/);

      // A step named beforehand is made beside the compute: the same weights as the step made after it.
      const twin = new StandInTrainer({ template, computeSeconds: 0.01, tokensPerWindow: 1, maxValues: parameterCount(small), aggregate: { kind: 'real', parameters: parameterCount(small) } });
      for (const t of [trainer, twin]) expect(await t.stagePayload({ key: '10/1', file: template.file })).toEqual({ ok: true });
      await twin.applyOuter({ window: 7, payloadFiles: [template.file, template.file], lr: 0.5 });
      await twin.applyOuter({ window: 8, payloadFiles: [template.file], lr: 0.5 });
      expect(await trainer.prepareOuter({ window: 10, baseWindow: 11, staged: ['10/1'], lr: 0.5 })).toBe(true);
      const made = await trainer.applyOuter({ window: 10, payloadFiles: [template.file], staged: ['10/1'], lr: 0.5 });
      const plain = await twin.applyOuter({ window: 10, payloadFiles: [template.file], staged: ['10/1'], lr: 0.5 });
      expect(made.prepared).toBe(true);
      expect(plain.prepared).toBe(false);
      expect(made.modelDigest).toBe(plain.modelDigest);
      // A step other than the one named (another rate) is made after the compute; the named one is thrown away.
      for (const t of [trainer, twin]) expect(await t.stagePayload({ key: '11/1', file: template.file })).toEqual({ ok: true });
      expect(await trainer.prepareOuter({ window: 11, baseWindow: 12, staged: ['11/1'], lr: 0.25 })).toBe(true);
      const other = await trainer.applyOuter({ window: 11, payloadFiles: [template.file], staged: ['11/1'], lr: 0.5 });
      const twinOther = await twin.applyOuter({ window: 11, payloadFiles: [template.file], staged: ['11/1'], lr: 0.5 });
      expect(other.prepared).toBe(false);
      expect(other.modelDigest).toBe(twinOther.modelDigest);
    } finally {
      temp.cleanup();
    }
  });
});
