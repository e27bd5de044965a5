import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared fixtures beside the checkout (../shared/fixtures/nvidia-smi); null where absent. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const base = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'nvidia-smi');
export const fixturesDir: string | null = fs.existsSync(base) ? base : null;
export const SKIP_MESSAGE = `nvidia-smi fixtures not found at ${base} (they live beside the checkout in ../shared/fixtures)`;

export function fixtureFiles(sub: string): string[] {
  if (!fixturesDir) return [];
  const dir = path.join(fixturesDir, sub);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export function readFixture(sub: string, name: string): string {
  return fs.readFileSync(path.join(fixturesDir!, sub, name), 'utf8');
}

/** Splits a nvidia_gpu_exporter capture into its `# <phase> :: <title>` sections. */
export function captureSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = text.split(/^#{20,}\n# (.+?)\n(?:# \$ .*\n)?#{20,}\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) sections.set(parts[i]!.trim(), parts[i + 1]!);
  return sections;
}
