import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecAddon } from './addon-types';
import { CodecAddonMissingError } from './errors';

/** Where node-gyp puts the binary, relative to the repository root. */
export const ADDON_RELATIVE_PATH = join('native', 'addon', 'build', 'Release', 'tandem_codec.node');

/**
 * Candidate paths for the addon: $TANDEM_CODEC_ADDON if set (and then only
 * that), else the build output found by walking up from this module (works
 * from main/adapters/codec/ in source and from a bundled dist/ file) and from the cwd.
 */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = env.TANDEM_CODEC_ADDON;
  if (explicit) return [resolve(explicit)];
  const candidates: string[] = [];
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (let depth = 0; depth < 6; depth += 1) {
      const candidate = join(dir, ADDON_RELATIVE_PATH);
      if (!candidates.includes(candidate)) candidates.push(candidate);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return candidates;
}

/** Loads the addon without caching; throws CodecAddonMissingError when absent or unloadable. */
export function loadCodecAddonUncached(env: NodeJS.ProcessEnv = process.env): CodecAddon {
  const candidates = addonCandidates(env);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new CodecAddonMissingError(candidates);
  const require = createRequire(import.meta.url);
  try {
    return require(found) as CodecAddon;
  } catch (cause) {
    throw new CodecAddonMissingError([found], cause);
  }
}

let cached: CodecAddon | undefined;

/** The addon, loaded on first use (so importing this module never fails). */
export function loadCodecAddon(): CodecAddon {
  cached ??= loadCodecAddonUncached();
  return cached;
}
