import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devnetManifestDocument } from '../../main/devnet/devnet-manifest';
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
    for (const option of ['--peers <n>', '--rounds <n>', '--root <dir>', '--sequential', '--manifest <file>']) expect(help.stdout).toContain(option);
    const group = await runCli(['devnet', '--help'], { TANDEM_HOME: temp.dir });
    for (const command of ['serve', 'fund', 'run']) expect(group.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect((await runCli(['--help'], { TANDEM_HOME: temp.dir })).stdout).toContain('devnet');
    const bad = await runCli(['devnet', '--peers', '9'], { TANDEM_HOME: temp.dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number from 1 to 5');
    // A run on another chain is not the devnet's to serve; a file that is not there is said so.
    const elsewhere = path.join(temp.dir, 'testnet-run.json');
    fs.writeFileSync(elsewhere, JSON.stringify({ ...devnetManifestDocument(), chain: { network: 'test', netuid: 3 } }));
    const refused = await runCli(['devnet', '--manifest', elsewhere], { TANDEM_HOME: temp.dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('names the network test: the devnet serves only a run whose chain.network is "devnet"');
    const missing = await runCli(['devnet', '--manifest', path.join(temp.dir, 'none.json')], { TANDEM_HOME: temp.dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read .*none\.json: ENOENT/);
  });

  it('runs the devnet without the UI on the run its --manifest names, prints round progress, and stops after --rounds', async () => {
    const root = path.join(temp.dir, 'devnet');
    // The devnet's run with 12 inner steps a window, under another name.
    const manifest = path.join(temp.dir, 'short-run.json');
    const own = devnetManifestDocument();
    fs.writeFileSync(manifest, JSON.stringify({ ...own, name: 'short-windows', sparseloco: { ...own.sparseloco, innerSteps: 12 } }));
    const { code, stdout, stderr } = await runCli(['devnet', '--peers', '1', '--rounds', '1', '--root', root, '--manifest', manifest], { TANDEM_HOME: temp.dir });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('serving the run "short-windows"');
    expect(stdout).toMatch(/window \d+ · training/);
    expect(stdout).toMatch(/inner step 12\/12 · loss \d+\.\d+/);
    expect(stdout).not.toMatch(/inner step \d+\/40/);
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
