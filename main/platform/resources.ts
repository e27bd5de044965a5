import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the native parts live. In development they are build outputs in the
 * repository; in a packaged app electron-builder puts the trainer under
 * resources/bin (extraResources) and the addon under app.asar.unpacked
 * (asarUnpack), because executables and .node files cannot run from inside
 * an asar archive. Data the core reads with plain fs (the corpus, subtensor's
 * runtime metadata) ships under resources/ too, outside the archive.
 */
export interface ResourceLayout {
  kind: 'development' | 'packaged';
  trainerExecutable: string;
  codecAddon: string;
  /** The bundled public-domain corpus the devnet trains on. */
  devnetCorpus: string;
  /** Subtensor's runtime metadata and version answer, which the devnet node serves (assets/subtensor). */
  subtensorRuntime: string;
}

export interface ResourceContext {
  /** The folder holding package.json (the repo, or resources/app.asar when packaged). */
  appRoot: string;
  /** Electron's process.resourcesPath when packaged; undefined under plain Node. */
  resourcesPath?: string;
  platform?: NodeJS.Platform;
}

const exe = (name: string, platform: NodeJS.Platform) => (platform === 'win32' ? `${name}.exe` : name);

export function resourceLayout(context: ResourceContext): ResourceLayout {
  const platform = context.platform ?? process.platform;
  const packaged = context.resourcesPath !== undefined && context.appRoot.endsWith('.asar');
  if (packaged) {
    const resources = context.resourcesPath as string;
    return {
      kind: 'packaged',
      trainerExecutable: path.join(resources, 'bin', exe('tandem-trainer', platform)),
      codecAddon: path.join(resources, 'app.asar.unpacked', 'native', 'addon', 'build', 'Release', 'tandem_codec.node'),
      devnetCorpus: path.join(resources, 'data', 'sotu'),
      subtensorRuntime: path.join(resources, 'subtensor'),
    };
  }
  return {
    kind: 'development',
    trainerExecutable: path.join(context.appRoot, 'build', 'trainer', exe('tandem-trainer', platform)),
    codecAddon: path.join(context.appRoot, 'native', 'addon', 'build', 'Release', 'tandem_codec.node'),
    devnetCorpus: path.join(context.appRoot, 'native', 'data', 'sotu'),
    subtensorRuntime: path.join(context.appRoot, 'assets', 'subtensor'),
  };
}

/** Names the missing parts, so a broken install says what to rebuild instead of failing later. */
export function missingResources(layout: ResourceLayout, exists: (file: string) => boolean = fs.existsSync): string[] {
  return (['trainerExecutable', 'codecAddon'] as const).filter((k) => !exists(layout[k])).map((k) => `${k} (${layout[k]})`);
}
