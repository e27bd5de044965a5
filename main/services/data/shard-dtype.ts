/**
 * The token width of a shard file from its first bytes, for a manifest's
 * `dtype`: llm.c `.bin` (magic 20240520; version 1 = uint16, 2 = uint32) or
 * a NumPy `.npy` array of `<u2` / `<u4` (native/trainer/DATA.md). Throws,
 * naming the file, for anything else: the trainer would refuse it too.
 */
export function shardDtype(name: string, head: Uint8Array): 'uint16' | 'uint32' {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (name.endsWith('.npy')) {
    if (bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${name}: not a .npy file (no \\x93NUMPY magic)`);
    const descr = /'descr'\s*:\s*'([^']+)'/.exec(bytes.subarray(8, Math.min(bytes.length, 8 + 65536)).toString('latin1'))?.[1];
    if (descr === '<u2') return 'uint16';
    if (descr === '<u4') return 'uint32';
    throw new Error(`${name}: a .npy shard holds little-endian uint16 or uint32 tokens (<u2 or <u4), not ${descr ?? 'an unreadable dtype'}`);
  }
  if (bytes.length < 8 || bytes.readInt32LE(0) !== 20240520) throw new Error(`${name}: not an llm.c token shard (magic 20240520)`);
  const version = bytes.readInt32LE(4);
  if (version === 1) return 'uint16';
  if (version === 2) return 'uint32';
  throw new Error(`${name}: llm.c shard version ${version} is not one the trainer reads (1: uint16, 2: uint32)`);
}
