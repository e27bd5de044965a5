import fs from 'node:fs/promises';
import path from 'node:path';
import { describeIssues, issuesFromZod, type FieldIssue } from '../../../contract';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import { ConfigFile } from './schema';

/** A config problem a person can fix: it names the file and the field. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: FieldIssue[],
  ) {
    super(`${file}: ${describeIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

/** Parses config text, throwing {@link ConfigError} for bad JSON or any bad field. */
export function parseConfig(text: string, file: string): ConfigFile {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON (${(error as Error).message})` }]);
  }
  const parsed = ConfigFile.safeParse(migrate(raw));
  if (!parsed.success) throw new ConfigError(file, issuesFromZod(parsed.error));
  return parsed.data;
}

/** Fields renamed since a config file could have been written: read under their new name. */
function migrate(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('manifestFile' in raw)) return raw;
  const { manifestFile, ...rest } = raw as Record<string, unknown>;
  return 'manifest' in rest ? rest : { ...rest, manifest: manifestFile };
}

/**
 * Loads and saves the config file. A broken file is reported and left exactly
 * as it is: we never overwrite what a person wrote by hand with defaults.
 */
export class ConfigStore {
  private constructor(
    readonly file: string,
    private current: ConfigFile,
  ) {}

  static async load(file: string): Promise<ConfigStore> {
    const text = await readFileIfExists(file);
    return new ConfigStore(file, parseConfig(text ?? '', file));
  }

  get value(): ConfigFile {
    return this.current;
  }

  /** Validates the whole result before writing, so a bad update changes nothing. */
  async update(mutate: (draft: ConfigFile) => ConfigFile): Promise<ConfigFile> {
    const next = ConfigFile.safeParse(mutate(structuredClone(this.current)));
    if (!next.success) throw new ConfigError(this.file, issuesFromZod(next.error));
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomically(this.file, `${JSON.stringify(next.data, null, 2)}\n`, { mode: 0o600 });
    this.current = next.data;
    return next.data;
  }
}
