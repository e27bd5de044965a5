import { defineConfig } from 'vitest/config';

// Three suites with one runner: fast unit tests, native codec tests, and
// browser end-to-end tests that drive the built app in Debian's Chromium.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}'], environment: 'node' } },
      { test: { name: 'native', include: ['test/native/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Stops whatever a file's tests started and left running (test/support/processes.ts).
          setupFiles: ['test/support/e2e-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          // One browser at a time: the machine has two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
