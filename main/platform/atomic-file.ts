import fs from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';

/**
 * Writes a file so that a crash leaves either the old or the new content, never
 * a torn mix: temp file in the same folder, fsync, rename (write-file-atomic).
 * Every key, config, checkpoint and ledger write goes through here.
 */
export async function writeFileAtomically(file: string, data: string | Buffer, options: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(file, data, { fsync: true, ...(options.mode === undefined ? {} : { mode: options.mode }) });
}

export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
