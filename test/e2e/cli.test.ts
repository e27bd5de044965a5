import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startApp } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

describe('tandem CLI', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('lists its commands in --help', async () => {
    const { code, stdout } = await runCli(['--help'], { TANDEM_HOME: temp.dir });
    expect(code).toBe(0);
    expect(stdout).toContain('start [options]');
    expect(stdout).toContain('config');
    const start = await runCli(['start', '--help'], { TANDEM_HOME: temp.dir });
    expect(start.stdout).toContain('--headless');
    expect(start.stdout).toContain('--network <name|url>');
  });

  it('stops on a broken config with one line naming the field, and leaves the file alone', async () => {
    const file = path.join(temp.dir, 'config.json');
    fs.writeFileSync(file, '{"headless":{"port":"eighty"}}');
    const { code, stderr } = await runCli(['start', '--headless'], { TANDEM_HOME: temp.dir });
    expect(code).toBe(2);
    expect(stderr).toContain(`Config error: ${file}: headless.port:`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"headless":{"port":"eighty"}}');
  });

  it('rejects a bad --port before starting anything', async () => {
    const { code, stderr } = await runCli(['start', '--headless', '--port', 'abc'], { TANDEM_HOME: temp.dir });
    expect(code).not.toBe(0);
    expect(stderr).toContain('expected a whole number from 0 to 65535');
  });

  it('refuses a network name that is none, in one line, before starting', async () => {
    const { code, stderr } = await runCli(['start', '--headless', '--network', 'finey'], { TANDEM_HOME: temp.dir });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n').filter((l) => l.startsWith('Network '))).toEqual([expect.stringMatching(/^Network finey: unknown network "finey": use devnet, local, test, finney or a ws:\/\/ or wss:\/\/ URL$/)]);
  });

  it('starts with an unreachable endpoint, says so in one line, and shows the error in the app', async () => {
    const app = await startApp({ home: temp.dir, args: ['--headless', '--network', 'ws://127.0.0.1:9'] });
    try {
      expect(app.output()).toMatch(/Network ws:\/\/127\.0\.0\.1:9: unreachable: .*Starting anyway: the app shows this and keeps trying\./);
      const ask = async () => {
        const response = await fetch(`${app.origin}/api/rpc`, { method: 'POST', headers: { Authorization: `Bearer ${app.token}` }, body: JSON.stringify({ kind: 'request', id: '1', method: 'chain.status' }) });
        return ((await response.json()) as { result: { health: { state: string } } }).result;
      };
      let status = await ask();
      for (let i = 0; i < 50 && status.health.state === 'connecting'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = await ask();
      }
      expect(status.health.state).toMatch(/^(failed|reconnecting)$/);
    } finally {
      await app.stop();
    }
  });

  it('starts headless with --network and reports it', async () => {
    const app = await startApp({ home: temp.dir, args: ['--headless', '--network', 'devnet'] });
    try {
      const response = await fetch(`${app.origin}/api/rpc`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${app.token}` },
        body: JSON.stringify({ kind: 'request', id: '1', method: 'state.get' }),
      });
      expect(await response.json()).toMatchObject({ ok: true, result: { network: { target: 'devnet' }, core: { mode: 'headless' } } });
      expect(app.output()).not.toContain('Electron runtime not available');
    } finally {
      await app.stop();
    }
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const app = await startApp({ home: temp.dir, args: ['--headless'] });
    await app.stop();
    expect({ code: app.process.exitCode, signal: app.process.signalCode, output: app.output() }).toMatchObject({ code: 0, signal: null });
  });
});
