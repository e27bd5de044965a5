// `npm run dev`: rebuild the Node side and the renderer on every change and
// restart headless mode, so a browser tab shows the change after a reload.
import { spawn } from 'node:child_process';
import { context } from 'esbuild';

const main = await context({
  entryPoints: ['main/shells/cli/index.ts'],
  outfile: 'dist/main/cli.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'info',
});
await main.rebuild();
await main.watch();

const children = [
  spawn('npx', ['vite', 'build', '--watch', '--config', 'vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' }),
  spawn(process.execPath, ['--watch-path=dist/main', 'dist/main/cli.mjs', 'start', '--headless', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TANDEM_HOME: process.env.TANDEM_HOME ?? '.tandem-dev' },
  }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  void main.dispose().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
