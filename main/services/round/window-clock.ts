/**
 * Windows are counted from chain blocks, as every peer and validator does:
 * window = floor(block / blocksPerWindow). Using the chain, not local clocks,
 * keeps miners and validators on the same window (a top miner complaint).
 */
export interface WindowPosition {
  window: number;
  /** Block at which this window started. */
  startBlock: number;
  /** Blocks into the window, 0-based. */
  blockInWindow: number;
  /** Share of the window elapsed, in [0, 1). */
  progress: number;
}

export function windowOf(block: number, blocksPerWindow: number): WindowPosition {
  if (!Number.isInteger(block) || block < 0) throw new RangeError(`block must be a non-negative integer, got ${block}`);
  if (!Number.isInteger(blocksPerWindow) || blocksPerWindow < 1) throw new RangeError(`blocksPerWindow must be a positive integer, got ${blocksPerWindow}`);
  const window = Math.floor(block / blocksPerWindow);
  const startBlock = window * blocksPerWindow;
  const blockInWindow = block - startBlock;
  return { window, startBlock, blockInWindow, progress: blockInWindow / blocksPerWindow };
}

/** Seconds until the window after `block` starts, at the expected block time. */
export function secondsUntilNextWindow(block: number, blocksPerWindow: number, blockSeconds: number): number {
  const { blockInWindow } = windowOf(block, blocksPerWindow);
  return (blocksPerWindow - blockInWindow) * blockSeconds;
}
