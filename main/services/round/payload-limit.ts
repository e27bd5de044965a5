import { parameterCount } from '../hardware/memory-fit';
import type { RunManifest } from '../../ports/run-manifest';

/** Bytes a tensor record may take besides its streams: a name of up to 1 KiB, its shape, block sides, level table and lengths. */
const TENSOR_RECORD_BYTES = 2048;
/** Tensors of a LLaMA-style model: 9 per layer (q, k, v, o, gate, up, down, two norms), the embedding, the final norm and the head. */
const tensorsOf = (m: RunManifest['model']) => 9 * m.layers + 3;

/**
 * The largest update payload (native/codec/FORMAT.md) a peer of this run
 * downloads: anything bigger cannot be an honest update of the run's model,
 * and is refused before its bytes are read. The bound gives every kept value
 * 4 bytes (an honest one takes about one: a 2-bit level and an index of
 * under 8 bits), adds a bitmap's worth of every position (N/8 bytes) for the
 * index streams of partly kept chunks, and the tensor records: about 11x an
 * honest payload at 1.5625 % density, and still far below the dense model.
 */
export function payloadLimitBytes(manifest: RunManifest): number {
  const n = parameterCount(manifest.model);
  const kept = Math.min(1, manifest.sparseloco.topK / manifest.sparseloco.chunkSize);
  return Math.ceil(n * kept * 4 + n / 8) + tensorsOf(manifest.model) * TENSOR_RECORD_BYTES + 1024 * 1024;
}
