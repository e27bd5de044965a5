import { afterAll } from 'vitest';
import { stopAllProcesses } from './processes';

/**
 * Every e2e file ends with nothing it started still running: after the
 * file's own afterAll hooks, whatever they (or a test that failed before
 * its cleanup) left is stopped, and the file fails naming it, so a leak is
 * seen instead of running on for the rest of the day.
 */
afterAll(async () => {
  const left = await stopAllProcesses();
  if (left.length > 0) throw new Error(`processes left running after this file's tests (now stopped):\n${left.join('\n')}`);
});
