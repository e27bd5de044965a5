import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundLedger } from '../../main/ledger/round-ledger';
import { runCli } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

describe('tandem devnet', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('explains itself in --help and refuses a bad peer count', async () => {
    const help = await runCli(['devnet', '--help'], { TANDEM_HOME: temp.dir });
    expect(help.code).toBe(0);
    for (const option of ['--peers <n>', '--rounds <n>', '--root <dir>', '--sequential']) expect(help.stdout).toContain(option);
    expect((await runCli(['--help'], { TANDEM_HOME: temp.dir })).stdout).toContain('devnet');
    const bad = await runCli(['devnet', '--peers', '9'], { TANDEM_HOME: temp.dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number from 1 to 5');
  });

  it('runs the devnet without the UI, prints round progress, and stops after --rounds', async () => {
    const root = path.join(temp.dir, 'devnet');
    const { code, stdout, stderr } = await runCli(['devnet', '--peers', '1', '--rounds', '1', '--root', root], { TANDEM_HOME: temp.dir });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/window \d+ · training/);
    expect(stdout).toMatch(/inner step 40\/40 · loss \d+\.\d+/);
    const done = /round 1 done: window (\d+) · trained, uploaded, gathered, applied/.exec(stdout);
    expect(done).not.toBeNull();
    expect(stdout).toMatch(/Stopped after \d+ completed rounds\.\n$/);
    // The ledger has the round the terminal reported.
    const summaries = await new RoundLedger(path.join(root, 'peers', 'me', 'rounds.ndjson')).summaries();
    expect(summaries.find((s) => s.window === Number(done![1]))?.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'gathered', 'applied']));
  });
});
