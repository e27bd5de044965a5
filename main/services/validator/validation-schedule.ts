import type { ChainBlock } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import { uploadDeadline } from '../round/inclusion';
import { windowOf } from '../round/window-clock';

/** Windows a validator that fell behind still goes back for; older ones are skipped. */
const MAX_BACKLOG_WINDOWS = 2;

/**
 * The window to validate at this block, if any, and its upload deadline
 * (epoch ms): windows in order after the last one validated, each once its
 * deadline is a block or more past, so an update that arrives after it is
 * seen as late rather than missing. `deadlineOf` gives a window's deadline:
 * the validator passes the miners' (ChainWindowTimes); by default it is
 * extrapolated from `block` at the nominal block time.
 */
export function nextWindowToValidate(
  block: ChainBlock,
  lastValidated: number | null,
  timing: RunManifest['windows'],
  deadlineOf: (window: number) => number = (w) => uploadDeadline(w, timing, block),
): { window: number; deadline: number } | null {
  const blockMs = timing.blockSeconds * 1000;
  const { window: current } = windowOf(block.number, timing.blocksPerWindow);
  let candidate = current - 1;
  while (candidate >= 0 && block.timestamp < deadlineOf(candidate) + 2 * blockMs) candidate--;
  if (candidate < 0) return null;
  const next = lastValidated === null ? candidate : Math.max(lastValidated + 1, candidate - MAX_BACKLOG_WINDOWS);
  if (next > candidate) return null;
  return { window: next, deadline: deadlineOf(next) };
}
