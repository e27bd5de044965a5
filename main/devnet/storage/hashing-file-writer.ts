import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams `source` into a new `file` (0600), hashing it on the way, so a body
 * of any size costs one chunk of memory and is read once. Returns the hex
 * digest and the byte count; the caller removes the file if this throws.
 */
export async function writeFileHashing(source: Readable, file: string, algorithm: 'md5' | 'sha256'): Promise<{ digest: string; size: number }> {
  const hash = crypto.createHash(algorithm);
  let size = 0;
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file, { flags: 'wx', mode: 0o600 }),
  );
  return { digest: hash.digest('hex'), size };
}
