import fs from 'node:fs';
import path from 'node:path';

/**
 * Where `electron-builder --dir` leaves the runnable app in its output folder
 * (directories.output in electron-builder.yml), per platform and architecture.
 */
export function packagedExecutableCandidates(options: { releaseDir: string; productName: string; executableName: string; platform: NodeJS.Platform; arch?: string }): string[] {
  const { releaseDir, productName, executableName, platform } = options;
  const arch = options.arch ?? process.arch;
  switch (platform) {
    case 'win32':
      return [path.join(releaseDir, 'win-unpacked', `${productName}.exe`), path.join(releaseDir, `win-${arch}-unpacked`, `${productName}.exe`)];
    case 'darwin':
      return [path.join(releaseDir, 'mac', `${productName}.app`, 'Contents', 'MacOS', productName), path.join(releaseDir, `mac-${arch}`, `${productName}.app`, 'Contents', 'MacOS', productName)];
    default:
      // Linux executables are named after package.json's name (lower case), not the product name.
      return [path.join(releaseDir, 'linux-unpacked', executableName), path.join(releaseDir, `linux-${arch}-unpacked`, executableName)];
  }
}

export type PackagedApp = { found: true; executable: string } | { found: false; reason: string };

export function findPackagedApp(options: Parameters<typeof packagedExecutableCandidates>[0], exists: (file: string) => boolean = fs.existsSync): PackagedApp {
  const candidates = packagedExecutableCandidates(options);
  const executable = candidates.find(exists);
  return executable ? { found: true, executable } : { found: false, reason: `no packaged app at ${candidates.join(' or ')} (build one with npm run package -- --dir)` };
}

/** The resources folder of a packaged app, from its executable (where extraResources and app.asar live). */
export function packagedResourcesDir(executable: string, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? path.join(path.dirname(executable), '..', 'Resources') : path.join(path.dirname(executable), 'resources');
}
