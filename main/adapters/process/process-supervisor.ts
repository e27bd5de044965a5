import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import readline from 'node:readline';
import type { Logger } from '../../core/logging/logger';
import { sanitizedEnv } from './sanitized-env';

export type SupervisorStatus = 'stopped' | 'starting' | 'running' | 'backoff' | 'stopping' | 'failed';

export interface SupervisorState {
  status: SupervisorStatus;
  pid: number | null;
  restarts: number;
  /** Crashes inside the breaker's time window. */
  recentCrashes: number;
  /** When status is backoff: epoch ms of the next attempt. */
  nextAttemptAt: number | null;
  /** Why the child last died, or why the breaker opened. */
  lastError: string | null;
  /** The child's last stderr lines, for the UI and bug reports. */
  lastStderr: string[];
}

export interface SupervisorOptions {
  command: string;
  args?: string[];
  cwd?: string;
  /** Variables for the child on top of the sanitized allow-list. */
  env?: Record<string, string>;
  /** Silence longer than this (no line on stdout) means the child hung: kill and restart. */
  heartbeatTimeoutMs: number;
  backoff?: { initialMs: number; maxMs: number; factor: number };
  /** Opens after maxCrashes crashes within windowMs: stop restarting and explain. */
  breaker?: { maxCrashes: number; windowMs: number };
  /** Written to stdin to ask for a graceful stop (e.g. a shutdown command). */
  gracefulStopLine?: string;
  /** Lower scheduling priority so the desktop stays responsive (0..19 on Unix). */
  niceness?: number;
  stderrLines?: number;
  logger: Logger;
  /** For tests. */
  now?: () => number;
}

interface SupervisorEvents {
  state: [SupervisorState];
  line: [string];
  exit: [{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }];
}

/**
 * Keeps one child process alive: restarts it with exponential backoff when it
 * dies or stops answering, and gives up with an explanation when it crashes in
 * a loop (a restart every few seconds forever helps nobody). Everything the
 * child prints on stdout is handed over line by line.
 */
export class ProcessSupervisor extends EventEmitter<SupervisorEvents> {
  private child: ChildProcess | undefined;
  private crashTimes: number[] = [];
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopRequested = false;
  private current: SupervisorState = { status: 'stopped', pid: null, restarts: 0, recentCrashes: 0, nextAttemptAt: null, lastError: null, lastStderr: [] };
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly backoff: { initialMs: number; maxMs: number; factor: number };
  private readonly breaker: { maxCrashes: number; windowMs: number };
  private attempt = 0;
  /** Set when we kill the child ourselves, so the crash report says why. */
  private killReason: string | undefined;
  private startedAt = 0;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.log = options.logger.child({ source: 'supervisor' });
    this.now = options.now ?? Date.now;
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 60_000, factor: 2 };
    this.breaker = options.breaker ?? { maxCrashes: 5, windowMs: 5 * 60_000 };
  }

  get state(): SupervisorState {
    return this.current;
  }

  /** Starts the child; also closes an open breaker (the user asked to try again). */
  start(): void {
    if (this.child || this.current.status === 'backoff') return;
    this.stopRequested = false;
    this.crashTimes = [];
    this.attempt = 0;
    this.spawnChild();
  }

  /** Writes one line to the child's stdin; false when there is no live child. */
  send(line: string): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    stdin.write(line.endsWith('\n') ? line : `${line}\n`);
    return true;
  }

  /**
   * Graceful: ask the child to finish (gracefulStopLine), wait up to graceMs,
   * then SIGTERM, then SIGKILL. Immediate: SIGKILL at once.
   */
  async stop(options: { graceful: boolean; graceMs?: number; termGraceMs?: number } = { graceful: true }): Promise<void> {
    this.stopRequested = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const child = this.child;
    if (!child) {
      this.update({ status: 'stopped', nextAttemptAt: null });
      return;
    }
    this.update({ status: 'stopping' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const waitFor = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (options.graceful) {
      if (this.options.gracefulStopLine) this.send(this.options.gracefulStopLine);
      if (await waitFor(options.graceMs ?? 30_000)) return;
      child.kill('SIGTERM');
      if (await waitFor(options.termGraceMs ?? 5000)) return;
    }
    child.kill('SIGKILL');
    await exited;
  }

  private spawnChild(): void {
    this.update({ status: 'starting', nextAttemptAt: null });
    let child: ChildProcess;
    try {
      child = spawn(this.options.command, this.options.args ?? [], {
        cwd: this.options.cwd,
        env: sanitizedEnv(process.env, this.options.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      this.onCrash(`could not start ${this.options.command}: ${(error as Error).message}`);
      return;
    }
    this.child = child;
    this.killReason = undefined;
    this.startedAt = this.now();
    child.on('error', (error) => {
      // ENOENT and friends arrive here, and no 'exit' follows when the spawn itself failed.
      if (child.pid === undefined && this.child === child) {
        this.child = undefined;
        this.onCrash(`could not start ${this.options.command}: ${error.message}`);
      }
    });
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, this.options.niceness ?? 10);
      } catch {
        // Not permitted everywhere (e.g. some containers); a normal priority is still correct.
      }
      this.update({ status: 'running', pid: child.pid, lastStderr: [] });
      this.log.info({ pid: child.pid, command: this.options.command }, 'child started');
    }
    this.armWatchdog();

    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.armWatchdog();
      this.emit('line', line);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      const keep = this.options.stderrLines ?? 20;
      this.update({ lastStderr: [...this.current.lastStderr, line].slice(-keep) });
      this.log.warn({ pid: child.pid }, `child stderr: ${line}`);
    });
    child.stdin?.on('error', () => {
      // The child closed its stdin (it is exiting); 'exit' tells the rest.
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.disarmWatchdog();
      const expected = this.stopRequested;
      this.emit('exit', { code, signal, expected });
      if (expected) {
        this.log.info({ code, signal }, 'child stopped');
        this.update({ status: 'stopped', pid: null });
        return;
      }
      // A child that ran well for a while earns a fresh backoff.
      if (this.now() - this.startedAt > this.backoff.maxMs) this.attempt = 0;
      this.onCrash(this.killReason ?? (signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  }

  private onCrash(reason: string): void {
    const now = this.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.breaker.windowMs), now];
    this.log.error({ reason, recentCrashes: this.crashTimes.length }, 'child crashed');
    if (this.crashTimes.length >= this.breaker.maxCrashes) {
      const minutes = Math.round(this.breaker.windowMs / 60_000);
      this.update({
        status: 'failed',
        pid: null,
        recentCrashes: this.crashTimes.length,
        lastError: `stopped restarting: ${this.crashTimes.length} crashes within ${minutes} min (last: ${reason})`,
      });
      return;
    }
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** this.attempt);
    this.attempt += 1;
    this.update({ status: 'backoff', pid: null, restarts: this.current.restarts + 1, recentCrashes: this.crashTimes.length, lastError: reason, nextAttemptAt: now + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopRequested) this.spawnChild();
    }, delay);
  }

  private armWatchdog(): void {
    this.disarmWatchdog();
    this.watchdog = setTimeout(() => {
      const child = this.child;
      if (!child) return;
      this.log.error({ pid: child.pid, silentMs: this.options.heartbeatTimeoutMs }, 'child silent too long; killing it');
      this.killReason = `no output for ${this.options.heartbeatTimeoutMs} ms (hung); killed`;
      child.kill('SIGKILL');
    }, this.options.heartbeatTimeoutMs);
  }

  private disarmWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private update(patch: Partial<SupervisorState>): void {
    this.current = { ...this.current, ...patch };
    this.emit('state', this.current);
  }
}
