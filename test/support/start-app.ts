import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnTracked, stopProcess, wasStoppedOnPurpose } from './processes';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface RunningApp {
  url: string;
  origin: string;
  token: string;
  output: () => string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the built CLI exactly as `npm start` does (bin/tandem.mjs start) and
 * waits for the URL line. Uses its own TANDEM_HOME so runs never share state.
 * If no URL comes, the process (and whatever it started) is stopped before
 * the error is thrown; `stop()` ends it with SIGTERM, then SIGKILL to its
 * process group after a minute.
 */
export async function startApp(options: { home: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunningApp> {
  const child = spawnTracked(process.execPath, [path.join(REPO_ROOT, 'bin', 'tandem.mjs'), 'start', '--port', '0', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, TANDEM_HOME: options.home, DISPLAY: '', WAYLAND_DISPLAY: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within ${options.timeoutMs ?? 30_000} ms; output:\n${output}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const match = /(http:\/\/\S+#token=[0-9a-f]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tandem exited with ${code} before printing a URL; output:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stopProcess(child, { graceMs: 5000 });
    throw error;
  });
  // An app that ends before the test stops it leaves the test to time out on a
  // page that no longer answers; say so at once, with the app's own last words.
  child.once('exit', (code, signal) => {
    if (wasStoppedOnPurpose(child)) return;
    console.error(`Error: tandem (TANDEM_HOME ${options.home}) exited on its own with ${signal ?? `code ${code}`} while a test was using it; its last output:\n${output.slice(-4000)}`);
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.hash.replace('#token=', ''),
    output: () => output,
    process: child,
    stop: () => stopProcess(child),
  };
}

/** Runs the CLI to completion and returns what it printed. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked(process.execPath, [path.join(REPO_ROOT, 'bin', 'tandem.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    // Anything it started and left behind goes with it.
    child.on('exit', (code) => void stopProcess(child).then(() => resolve({ code, stdout, stderr })));
  });
}
