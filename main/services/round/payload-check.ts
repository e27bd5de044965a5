import { validatePayload } from '../../adapters/codec';
import type { RunManifest } from '../../ports/run-manifest';
import type { PayloadVerdict } from '../../ports/trainer-port';
import { parameterCount } from '../hardware/memory-fit';

/**
 * The codec's full check of a gathered payload against the run: the run's
 * top-k, and at most as many values as the run's model has parameters. (The
 * decoder's own default bound, 2^30 values, is below a 1B model's 1.24G: it
 * refused every honest payload of a run that size.)
 */
export function codecPayloadCheck(manifest: RunManifest): (payload: Uint8Array) => Promise<PayloadVerdict> {
  const options = { expectedK: manifest.sparseloco.topK, maxValues: parameterCount(manifest.model) };
  return async (payload) => {
    const verdict = await validatePayload(payload, options);
    return verdict.ok ? { ok: true } : { ok: false, reason: `${verdict.field}: ${verdict.message}` };
  };
}
