// Bundles the Node side (CLI, Electron main, preload) with esbuild. Type
// checking is `npm run typecheck`; this only has to be fast and faithful.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  build({ ...common, entryPoints: ['main/shells/cli/index.ts'], outfile: 'dist/main/cli.mjs', format: 'esm', packages: 'external' }),
  build({ ...common, entryPoints: ['main/shells/electron/main.ts'], outfile: 'dist/electron/main.mjs', format: 'esm', packages: 'external', external: ['electron'] }),
  // A sandboxed preload cannot load modules from disk: bundle it whole, as CommonJS.
  build({ ...common, entryPoints: ['main/shells/electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] }),
]);
