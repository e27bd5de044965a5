import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  productName: string;
  version: string;
  /** The folder holding package.json: the repo in development, the app folder when packaged. */
  root: string;
}

let cached: PackageInfo | undefined;

/**
 * Finds Tandem's own package.json by walking up from this module. Works from
 * the TypeScript sources (tests), the bundled dist/ files and a packaged app,
 * so the version shown in the UI is always the one that was installed.
 */
export function packageInfo(fromUrl: string = import.meta.url): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const parsed = JSON.parse(fs.readFileSync(candidate, 'utf8')) as Partial<PackageInfo>;
      if (parsed.name === 'tandem' && typeof parsed.version === 'string') {
        cached = { name: parsed.name, productName: parsed.productName ?? 'Tandem', version: parsed.version, root: dir };
        return cached;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find Tandem's package.json above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}
