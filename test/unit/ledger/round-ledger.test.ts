import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { makeTempDir } from '../../support/temp-dir';

describe('RoundLedger', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, 'ledger', 'rounds.ndjson');
  });
  afterEach(() => temp.cleanup());

  it('folds the lines of each window into one summary', async () => {
    const ledger = new RoundLedger(file);
    await ledger.append({ window: 4, at: 100, phase: 'trained', phaseSeconds: { training: 40 }, loss: 3.2 });
    await ledger.append({ window: 4, at: 110, phase: 'uploaded', phaseSeconds: { uploading: 2 }, bytesUp: 1000 });
    await ledger.append({ window: 5, at: 200, phase: 'missed', reason: 'storage unreachable' });
    await ledger.append({ window: 4, at: 120, phase: 'gathered', phaseSeconds: { gathering: 3 }, bytesDown: 5000, loss: 3.1 });
    const [w4, w5] = await ledger.summaries();
    expect(w4).toEqual({
      window: 4,
      phases: ['trained', 'uploaded', 'gathered'],
      phaseSeconds: { training: 40, uploading: 2, gathering: 3 },
      bytesUp: 1000,
      bytesDown: 5000,
      loss: 3.1,
      firstAt: 100,
      lastAt: 120,
    });
    expect(w5).toMatchObject({ window: 5, phases: ['missed'], reason: 'storage unreachable' });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never interleaves concurrent appends', async () => {
    const ledger = new RoundLedger(file);
    await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.append({ window: i, at: i, reason: 'x'.repeat(300) })));
    const { records, skipped } = await ledger.read();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.window).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('survives a torn last line: it is skipped, and the next append starts a fresh line', async () => {
    const ledger = new RoundLedger(file);
    await ledger.append({ window: 1, at: 1, phase: 'trained' });
    fs.appendFileSync(file, '{"window":2,"at":2,"pha');
    expect((await ledger.read()).skipped).toHaveLength(1);
    await ledger.append({ window: 3, at: 3, phase: 'applied' });
    const { records, skipped } = await ledger.read();
    expect(records.map((r) => r.window)).toEqual([1, 3]);
    expect(skipped).toHaveLength(1);
  });

  it('keeps every completed line when the writer is killed mid-stream', async () => {
    // A child process appends as fast as it can and is killed with SIGKILL.
    const script = `
      import { RoundLedger } from ${JSON.stringify(path.resolve('main/services/earnings/round-ledger.ts'))};
      const ledger = new RoundLedger(${JSON.stringify(file)});
      for (let i = 0; ; i++) { await ledger.append({ window: i, at: i }); if (i === 20) process.stdout.write('go\\n'); }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const { records } = await new RoundLedger(file).read();
    expect(records.length).toBeGreaterThan(20);
    // Every record that was read is whole and in order: nothing corrupt, nothing reordered.
    expect(records.map((r) => r.window)).toEqual(Array.from({ length: records.length }, (_, i) => i));
  });

  it('refuses an invalid record without writing', async () => {
    const ledger = new RoundLedger(file);
    await expect(ledger.append({ window: -1, at: 0 })).rejects.toThrow();
    await expect(ledger.append({ window: 1, at: 0, reward: '-5' })).rejects.toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });
});
