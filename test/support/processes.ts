import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * The processes tests start (`tandem start`, `tandem validator run`,
 * `tandem devnet serve`, one-shot CLI runs), so that none outlives its test:
 *
 * - each runs in its own process group (POSIX), so that stopping it also
 *   stops what it started (its trainer, a devnet node) if it left them behind;
 * - `stopProcess` asks with SIGTERM, waits, then kills the group;
 * - `stopAllProcesses` (an afterAll of every e2e file, see e2e-setup.ts)
 *   stops whatever a failed test or hook left running;
 * - if the test worker itself is told to stop (SIGTERM, SIGINT) or exits,
 *   every group still running is killed on the way out.
 *
 * A `tandem start` left running for 40 minutes after a failed beforeAll (no
 * Chromium) is what this is for.
 */
const live = new Set<ChildProcess>();
const POSIX = process.platform !== 'win32';

/** `spawn`, in a process group of its own, remembered until it is stopped. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: POSIX });
  live.add(child);
  installExitHandlers();
  return child;
}

/** Children a test (or the clean-up) chose to stop or kill: their exit is no news. */
const stoppedOnPurpose = new WeakSet<ChildProcess>();

/** Whether the child's exit was asked for (stopProcess, killOnPurpose) rather than its own doing. */
export function wasStoppedOnPurpose(child: ChildProcess): boolean {
  return stoppedOnPurpose.has(child);
}

/** Sends a signal a test means to send (a crash it simulates), so that the exit is not reported as the app's own. */
export function killOnPurpose(child: ChildProcess, signal: NodeJS.Signals): void {
  stoppedOnPurpose.add(child);
  child.kill(signal);
}

/** Started (a pid: a failed spawn has none and never exits) and not yet exited. */
const running = (child: ChildProcess) => child.pid !== undefined && child.exitCode === null && child.signalCode === null;

/** Signals the child's whole process group (the child alone where there are none). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (POSIX) process.kill(-child.pid, signal);
    else if (running(child)) child.kill(signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/**
 * Stops a tracked child: SIGTERM to it (its own clean shutdown, which stops
 * its trainer), then, after `graceMs` without an exit, SIGKILL to its group;
 * anything of its group still there once it has exited is killed too.
 */
export async function stopProcess(child: ChildProcess, options: { graceMs?: number } = {}): Promise<void> {
  stoppedOnPurpose.add(child);
  if (running(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.graceMs ?? 60_000)))]);
    clearTimeout(timer);
    if (gaveUp) {
      signalGroup(child, 'SIGKILL');
      await exited;
    }
  }
  signalGroup(child, 'SIGKILL');
  live.delete(child);
}

/** Stops every tracked process still running (a test or hook that failed before its own cleanup). */
export async function stopAllProcesses(options: { graceMs?: number } = {}): Promise<string[]> {
  const left = [...live];
  const described = left.filter(running).map((c) => `pid ${c.pid}: ${c.spawnargs.slice(1).join(' ')}`);
  await Promise.all(left.map((c) => stopProcess(c, { graceMs: options.graceMs ?? 10_000 })));
  return described;
}

/** Kills every tracked group at once (the worker is going away; nothing can be awaited). */
function killAllNow(): void {
  for (const child of live) {
    stoppedOnPurpose.add(child);
    signalGroup(child, 'SIGKILL');
  }
  live.clear();
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      // Then end as the signal would have (this handler was the only one, and is gone now).
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
