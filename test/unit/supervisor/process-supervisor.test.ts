import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessSupervisor, type SupervisorOptions, type SupervisorState } from '../../../main/adapters/process/process-supervisor';
import { sanitizedEnv } from '../../../main/adapters/process/sanitized-env';
import { REPO_ROOT } from '../../support/start-app';
import { makeTempDir } from '../../support/temp-dir';

const FAKE = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-child.mjs');
const logger = pino({ level: 'silent' });

function supervisor(args: string[], extra: Partial<SupervisorOptions> = {}) {
  return new ProcessSupervisor({
    command: process.execPath,
    args: [FAKE, ...args],
    heartbeatTimeoutMs: 2000,
    backoff: { initialMs: 20, maxMs: 200, factor: 2 },
    breaker: { maxCrashes: 5, windowMs: 60_000 },
    gracefulStopLine: '{"cmd":"shutdown"}',
    logger,
    ...extra,
  });
}

function waitForState(s: ProcessSupervisor, predicate: (state: SupervisorState) => boolean, timeoutMs = 10_000) {
  if (predicate(s.state)) return Promise.resolve(s.state);
  return new Promise<SupervisorState>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state never matched; last: ${JSON.stringify(s.state)}`)), timeoutMs);
    const listener = (state: SupervisorState) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      s.off('state', listener);
      resolve(state);
    };
    s.on('state', listener);
  });
}

function nextLine(s: ProcessSupervisor, predicate: (line: string) => boolean) {
  return new Promise<string>((resolve) => {
    const listener = (line: string) => {
      if (!predicate(line)) return;
      s.off('line', listener);
      resolve(line);
    };
    s.on('line', listener);
  });
}

describe('ProcessSupervisor', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let running: ProcessSupervisor | undefined;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(async () => {
    await running?.stop({ graceful: false });
    running = undefined;
    temp.cleanup();
  });

  it('hands over stdout lines and stops gracefully through the stop line', async () => {
    const s = (running = supervisor(['well-behaved']));
    const hello = nextLine(s, (l) => l.includes('hello'));
    s.start();
    expect(JSON.parse(await hello)).toMatchObject({ event: 'hello' });
    const echoed = nextLine(s, (l) => l.includes('echo'));
    expect(s.send('ping')).toBe(true);
    expect(JSON.parse(await echoed)).toEqual({ event: 'echo', line: 'ping' });
    const exits: Array<{ expected: boolean; code: number | null }> = [];
    s.on('exit', (e) => exits.push(e));
    await s.stop({ graceful: true, graceMs: 5000 });
    expect(exits).toEqual([{ code: 0, signal: null, expected: true }]);
    expect(s.state.status).toBe('stopped');
    expect(s.send('ping')).toBe(false);
  });

  it('restarts a child that was killed, with backoff', async () => {
    const counter = path.join(temp.dir, 'starts');
    const s = (running = supervisor(['well-behaved', counter]));
    const hello = nextLine(s, (l) => l.includes('hello'));
    s.start();
    const first = await waitForState(s, (st) => st.status === 'running');
    await hello;
    process.kill(first.pid!, 'SIGKILL');
    const backoff = await waitForState(s, (st) => st.status === 'backoff');
    expect(backoff.lastError).toBe('killed by SIGKILL');
    expect(backoff.nextAttemptAt).not.toBeNull();
    const helloAgain = nextLine(s, (l) => l.includes('hello'));
    const again = await waitForState(s, (st) => st.status === 'running' && st.pid !== first.pid);
    expect(again.restarts).toBe(1);
    expect(JSON.parse(await helloAgain)).toMatchObject({ pid: again.pid });
    expect(fs.readFileSync(counter, 'utf8')).toBe('2');
  });

  it('kills and restarts a child that stops answering', async () => {
    const counter = path.join(temp.dir, 'starts');
    const s = (running = supervisor(['silent', counter], { heartbeatTimeoutMs: 300 }));
    s.start();
    const state = await waitForState(s, (st) => st.status === 'backoff');
    expect(state.lastError).toMatch(/no output for 300 ms/);
    const helloAgain = nextLine(s, (l) => l.includes('hello'));
    await waitForState(s, (st) => st.restarts === 1 && st.status === 'running');
    await helloAgain;
    expect(Number(fs.readFileSync(counter, 'utf8'))).toBeGreaterThanOrEqual(2);
  });

  it('opens the breaker after 5 crashes on start and keeps the last stderr lines', async () => {
    const counter = path.join(temp.dir, 'starts');
    const s = (running = supervisor(['crash-on-start', counter]));
    s.start();
    const failed = await waitForState(s, (st) => st.status === 'failed');
    expect(fs.readFileSync(counter, 'utf8')).toBe('5');
    expect(failed.lastError).toMatch(/^stopped restarting: 5 crashes within 1 min \(last: exited with code 3\)$/);
    expect(failed.lastStderr).toEqual(['fatal: cannot open model config', 'second line of the reason']);
    // No sixth attempt happens on its own.
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.readFileSync(counter, 'utf8')).toBe('5');
  });

  it('escalates to SIGKILL when a graceful stop is ignored', async () => {
    const s = (running = supervisor(['ignore-shutdown']));
    s.start();
    await waitForState(s, (st) => st.status === 'running');
    const exits: Array<{ signal: NodeJS.Signals | null }> = [];
    s.on('exit', (e) => exits.push(e));
    // The stop line and SIGTERM are both ignored, so the supervisor must escalate.
    await s.stop({ graceful: true, graceMs: 100, termGraceMs: 100 });
    expect(exits[0]?.signal).toBe('SIGKILL');
  });

  it('says so when the program cannot be started at all', async () => {
    const s = (running = new ProcessSupervisor({ command: path.join(temp.dir, 'no-such-trainer'), heartbeatTimeoutMs: 1000, backoff: { initialMs: 10, maxMs: 20, factor: 2 }, breaker: { maxCrashes: 2, windowMs: 60_000 }, logger }));
    s.start();
    const failed = await waitForState(s, (st) => st.status === 'failed');
    expect(failed.lastError).toMatch(/could not start .*no-such-trainer: .*ENOENT/);
  });

  it('gives the child only allow-listed variables', async () => {
    process.env['AWS_SECRET_ACCESS_KEY'] = 'do-not-leak';
    process.env['BT_PW__HOME_WALLET'] = 'do-not-leak';
    try {
      const s = (running = supervisor(['env'], { env: { TANDEM_TRAINER_MODE: 'cpu' } }));
      const line = nextLine(s, (l) => l.includes('"env"'));
      s.start();
      const env = (JSON.parse(await line) as { env: Record<string, string> }).env;
      expect(env['TANDEM_TRAINER_MODE']).toBe('cpu');
      expect(env['PATH']).toBe(process.env['PATH']);
      expect(env['AWS_SECRET_ACCESS_KEY']).toBeUndefined();
      expect(env['BT_PW__HOME_WALLET']).toBeUndefined();
    } finally {
      delete process.env['AWS_SECRET_ACCESS_KEY'];
      delete process.env['BT_PW__HOME_WALLET'];
    }
    expect(sanitizedEnv({ CUDA_VISIBLE_DEVICES: '1', NCCL_DEBUG: 'WARN', SECRET: 'x' })).toEqual({ CUDA_VISIBLE_DEVICES: '1', NCCL_DEBUG: 'WARN', OMP_WAIT_POLICY: 'passive' });
    // OpenMP threads sleep while they wait unless the user asked otherwise.
    expect(sanitizedEnv({ OMP_WAIT_POLICY: 'active' })['OMP_WAIT_POLICY']).toBe('active');
  });
});
