import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import { SubtensorChain } from '../../main/adapters/subtensor/subtensor-chain';
import { loadManifest } from '../../main/services/run/load-manifest';
import { spawnTandem } from '../support/network-peers';
import { runCli } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

describe('tandem devnet', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('explains itself in --help and refuses a bad peer count', async () => {
    const help = await runCli(['devnet', 'run', '--help'], { TANDEM_HOME: temp.dir });
    expect(help.code).toBe(0);
    for (const option of ['--peers <n>', '--rounds <n>', '--root <dir>', '--sequential']) expect(help.stdout).toContain(option);
    const group = await runCli(['devnet', '--help'], { TANDEM_HOME: temp.dir });
    for (const command of ['serve', 'fund', 'run']) expect(group.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
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

  it('serves the devnet to other machines: its chain endpoint, a manifest that names it, guest buckets; funds an account; stops on SIGTERM', async () => {
    const root = path.join(temp.dir, 'served');
    const served = spawnTandem(['devnet', 'serve', '--root', root, '--port', '0', '--storage-port', '0', '--peers', '1', '--no-validator', '--guests', '1', '--json'], { TANDEM_HOME: temp.dir });
    try {
      let line: { url: string; storage: string; manifest: string; owner: string; netuid: number; guests: Array<{ bucket: string; read: { accessKeyId: string } }> } | null = null;
      for (let i = 0; i < 600 && !line; i++) {
        const match = /^\{"url".*$/m.exec(served.output());
        if (match) line = JSON.parse(match[0]) as typeof line;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(line, served.output()).not.toBeNull();
      const { url, manifest, owner, guests } = line!;
      // Signed by the devnet's owner key, on this chain (its genesis hash).
      const run = await loadManifest(manifest, { network: url, owner });
      expect(run.manifest.chain).toEqual({ network: url, netuid: 3, genesisHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      expect(guests).toEqual([expect.objectContaining({ bucket: 'guest-1' })]);
      const chain = await SubtensorChain.open({ name: 'served', endpoint: url });
      try {
        // The simulated peer registered and published its bucket, as any peer does.
        const graph = await chain.metagraph(3);
        expect(graph.neurons).toHaveLength(1);
        expect((await chain.commitments(3)).get(graph.neurons[0]!.hotkey)?.data).toMatch(/^tandem\/1 http:\/\/127\.0\.0\.1:\d+ peer-alice /);
        const funded = await runCli(['devnet', 'fund', '--network', url, '--to', '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV', '--amount', '2.5'], { TANDEM_HOME: temp.dir });
        expect(funded.stdout).toMatch(/^Sent 2\.5 TAO to 5DfhG\w+; its balance is now 2\.5 TAO\./);
      } finally {
        await chain.close();
      }
    } finally {
      await served.stop();
    }
    expect(served.child.exitCode).toBe(0);
  });
});
