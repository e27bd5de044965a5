import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a static bundle loaded from file:// in Electron and from the
// headless server in a browser tab, so every asset path must be relative.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
});
