import type { RunManifest } from '../../ports/run-manifest';

/** How often an adversary looks again for another peer's object. */
const POLL_MS = 250;

/** How long an adversary waits for another peer's object of a window: the window, then its upload deadline. */
export function windowWaitMs(manifest: RunManifest): number {
  const timing = manifest.windows;
  return (timing.blocksPerWindow * timing.blockSeconds + timing.uploadDeadlineSeconds) * 1000;
}

/** Asks `look` every POLL_MS until it answers something (not undefined), or the window's wait is over (undefined then). */
export async function pollThroughWindow<T>(manifest: RunManifest, look: () => Promise<T | undefined>): Promise<T | undefined> {
  const giveUp = Date.now() + windowWaitMs(manifest);
  while (Date.now() < giveUp) {
    const found = await look();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}
