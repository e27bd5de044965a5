import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redactObject, redactSecrets } from './redact';

export interface SupportBundleInput {
  app: { name: string; version: string; mode: string };
  logDir: string;
  configFile: string;
  /** Most recent bytes of log kept in the bundle. */
  maxLogBytes?: number;
  now?: () => number;
  home?: string;
}

async function readTail(file: string, maxBytes: number): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // Drop a partial first line when the file was cut.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await handle.close();
  }
}

async function recentLogs(dir: string, maxBytes: number, home: string | undefined): Promise<Array<{ file: string; text: string }>> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.log'));
  } catch {
    return [];
  }
  const files = await Promise.all(names.map(async (name) => ({ name, mtime: (await fs.stat(path.join(dir, name))).mtimeMs })));
  files.sort((a, b) => b.mtime - a.mtime);
  const out: Array<{ file: string; text: string }> = [];
  let budget = maxBytes;
  for (const { name } of files) {
    if (budget <= 0) break;
    const text = await readTail(path.join(dir, name), budget);
    budget -= Buffer.byteLength(text);
    // Redacted before it is embedded: inside the bundle's JSON the log's own quotes are escaped.
    out.push({ file: name, text: redactSecrets(text, home) });
  }
  return out.reverse();
}

/**
 * One JSON file a user can send when asking for help: versions, machine, the
 * settings and the recent log, with every secret taken out (see redact.ts).
 */
export async function buildSupportBundle(input: SupportBundleInput): Promise<{ filename: string; mimeType: string; text: string }> {
  const now = (input.now ?? Date.now)();
  let config: unknown;
  try {
    config = JSON.parse(await fs.readFile(input.configFile, 'utf8'));
  } catch (error) {
    config = { unreadable: (error as Error).message };
  }
  const bundle = {
    kind: 'tandem-support-bundle',
    generatedAt: new Date(now).toISOString(),
    app: input.app,
    machine: { platform: process.platform, arch: process.arch, release: os.release(), node: process.version, cpus: os.cpus().length, memoryBytes: os.totalmem() },
    config: redactObject(config),
    logs: await recentLogs(input.logDir, input.maxLogBytes ?? 2_000_000, input.home),
  };
  const text = redactSecrets(JSON.stringify(bundle, null, 2), input.home);
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  return { filename: `tandem-support-${stamp}.json`, mimeType: 'application/json', text };
}
