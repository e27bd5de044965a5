import { describe, expect, it } from 'vitest';
import { encodeTensors } from '../../main/adapters/codec';
import { seededRandom } from '../../main/core/seeded-random';
import { parameterCount } from '../../main/services/hardware/memory-fit';
import { codecPayloadCheck } from '../../main/services/round/payload-check';
import { devnetManifest } from '../../main/devnet/devnet-manifest';
import { gaussian } from '../../bench/round/model-payload';

// A peer checks every gathered payload against the run: its top-k and its model's size.
describe('the codec check of a gathered payload', () => {
  const payloadOf = (rows: number, cols: number, k = 64) => encodeTensors([{ name: 'w', shape: [rows, cols], data: gaussian(rows * cols, seededRandom(rows)) }], { k, blockSize: 64 });

  it('takes a payload of the run, refuses one of more values than its model has, and one of another top-k', async () => {
    const manifest = devnetManifest();
    const check = codecPayloadCheck(manifest);
    const n = parameterCount(manifest.model);
    expect(await check(await payloadOf(64, 256))).toEqual({ ok: true });
    // One 64-row band more than the whole model: no honest update of this run.
    const rows = Math.ceil(n / 256 / 64) * 64 + 64;
    const tooBig = await check(await payloadOf(rows, 256));
    expect(tooBig).toMatchObject({ ok: false, reason: expect.stringMatching(/values/) });
    expect(await check(await payloadOf(64, 256, 32))).toMatchObject({ ok: false });
  });
});
