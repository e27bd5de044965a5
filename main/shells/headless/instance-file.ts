import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';

/**
 * Where a running headless app says how to reach it: its address and per-run
 * token, readable by the same user only (0600), so that `tandem status` on
 * this machine can ask it. Removed when the app stops; a file left by a
 * crashed app is recognised by its dead pid.
 */
const Instance = z.object({ pid: z.number().int().positive(), base: z.string().url(), token: z.string().min(16), startedAt: z.number() }).strict();
export type HeadlessInstance = z.infer<typeof Instance>;

export const instanceFile = (dataDir: string): string => path.join(dataDir, 'headless-instance.json');

export async function writeInstanceFile(dataDir: string, instance: HeadlessInstance): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true });
  await writeFileAtomically(instanceFile(dataDir), `${JSON.stringify(instance)}\n`, { mode: 0o600 });
}

export async function removeInstanceFile(dataDir: string, pid: number): Promise<void> {
  const current = await readInstanceFile(dataDir);
  if (current?.pid === pid) await fs.rm(instanceFile(dataDir), { force: true });
}

/** The running instance, or null when none is (no file, a damaged one, or its process is gone). */
export async function readInstanceFile(dataDir: string): Promise<HeadlessInstance | null> {
  const text = await readFileIfExists(instanceFile(dataDir));
  if (text === undefined) return null;
  try {
    const parsed = Instance.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    process.kill(parsed.data.pid, 0);
    return parsed.data;
  } catch {
    return null;
  }
}
