import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { RunManifest } from '../../ports/run-manifest';

/** Corpora that ship with the app (native/data), by the name a manifest gives them after `bundled:`. */
const BUNDLED = new Set(['sotu']);

export interface ShardPlaces {
  /** Where a bundled corpus is tokenised on this machine (`<dataDir>/shards/<name>`). */
  dataDir: string;
  /** The trainer, whose `prepare-data` tokenises a corpus. */
  trainerExecutable: string;
  /** The bundled corpus text (native/data/sotu). */
  corpusDir: string;
}

/**
 * The folder of the run's token shards on this machine. A bundled corpus is
 * tokenised here once, by the trainer itself, so every machine holds the same
 * shards from the same text; a folder must already hold `.bin` shards.
 */
export function localShards(manifest: RunManifest, places: ShardPlaces): string {
  const spec = manifest.data.shards;
  if (typeof spec !== 'string') throw new Error('the run lists its shards by URL: they are downloaded into the shard cache, not found in a folder');
  if (spec.startsWith('bundled:')) {
    const name = spec.slice('bundled:'.length);
    if (!BUNDLED.has(name)) throw new Error(`the run's data "${spec}" names a corpus this app does not ship (it ships ${[...BUNDLED].map((b) => `bundled:${b}`).join(', ')})`);
    const folder = path.join(places.dataDir, 'shards', name);
    ensureShards(places.trainerExecutable, places.corpusDir, folder);
    return folder;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new Error(`the run's data is at ${spec}: downloading shards by URL is not supported yet; give a folder of .bin shards on this machine`);
  if (!path.isAbsolute(spec)) throw new Error(`the run's data folder "${spec}" must be an absolute path`);
  if (!fs.existsSync(spec) || !fs.readdirSync(spec).some((f) => f.endsWith('.bin'))) throw new Error(`no token shards (.bin) in ${spec}, the run's data folder`);
  return spec;
}

/** Token shards of a corpus, made once with the trainer's own prepare-data. */
export function ensureShards(executable: string, corpusDir: string, shardsDir: string): void {
  if (fs.existsSync(shardsDir) && fs.readdirSync(shardsDir).some((f) => f.endsWith('.bin'))) return;
  const inputs = fs.readdirSync(corpusDir).filter((f) => f.endsWith('.txt')).sort().map((f) => path.join(corpusDir, f));
  if (inputs.length === 0) throw new Error(`no corpus text in ${corpusDir}`);
  fs.mkdirSync(path.dirname(shardsDir), { recursive: true });
  const made = spawnSync(executable, ['prepare-data', '--input', ...inputs, '--output', shardsDir, '--prefix', path.basename(shardsDir)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`could not prepare the run's data: ${(made.stderr ?? '').trim().split('\n').at(-1) ?? `exit ${made.status}`}`);
}
