import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { devnetManifest } from '../../main/devnet/devnet-manifest';
import { DevnetNode } from '../../main/devnet/node/devnet-node';
import { DevnetS3 } from '../../main/devnet/storage/devnet-s3';
import { TRAINER_BINARY } from './tiny-trainer';
import type { StorageKeyPair } from '../../main/ports/storage-credentials';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import { spawnTracked, stopProcess } from './processes';
import { REPO_ROOT, runCli, startApp, type RunningApp } from './start-app';

/** The passphrases every machine of the multi-process tests uses, passed by environment variable as a script would. */
export const PASSPHRASES = { CP: 'coldkey passphrase 1', HP: 'hotkey passphrase 1', SP: 'storage passphrase 1' } as const;

/** One machine of a multi-process test: its own TANDEM_HOME, wallet and, for a miner, bucket. */
export class NetworkMachine {
  app: RunningApp | null = null;
  coldkey = '';
  hotkey = '';

  constructor(
    readonly name: string,
    readonly home: string,
  ) {}

  get env(): NodeJS.ProcessEnv {
    return { TANDEM_HOME: this.home, ...PASSPHRASES };
  }

  /** Runs `tandem <args>` as this machine; fails the test with its output unless it exits 0. */
  async cli(args: string[]): Promise<string> {
    const { code, stdout, stderr } = await runCli(args, this.env);
    if (code !== 0) throw new Error(`${this.name}: tandem ${args.join(' ')} exited ${code}\n${stdout}${stderr}`);
    return stdout;
  }

  async createWallet(): Promise<void> {
    const out = await this.cli(['wallet', 'create', 'w', '--coldkey-passphrase-env', 'CP', '--hotkey-passphrase-env', 'HP']);
    this.coldkey = /coldkey (\w+)/.exec(out)?.[1] ?? '';
    this.hotkey = /hotkey\s+(\w+)/.exec(out)?.[1] ?? '';
    if (!this.coldkey || !this.hotkey) throw new Error(`${this.name}: no addresses in ${out}`);
  }

  setStorage(endpoint: string, bucket: string, keys: { write: StorageKeyPair; read: StorageKeyPair }): Promise<string> {
    return runCli(
      ['storage', 'set', '--endpoint', endpoint, '--bucket', bucket, '--write-key-id', keys.write.accessKeyId, '--write-secret-env', 'WS', '--read-key-id', keys.read.accessKeyId, '--read-secret-env', 'RS', '--passphrase-env', 'SP'],
      { ...this.env, WS: keys.write.secretAccessKey, RS: keys.read.secretAccessKey },
    ).then(({ code, stdout, stderr }) => {
      if (code !== 0) throw new Error(`${this.name}: storage set exited ${code}\n${stdout}${stderr}`);
      return stdout;
    });
  }

  /**
   * Starts the app headless on the network, hotkey and storage unlocked from
   * the environment (not joined yet), the run named by its manifest or by its
   * subnet alone (found on chain), or not named (the user names it in the UI).
   */
  async start(network: string, run?: string | { netuid: number }, runOwner?: string): Promise<RunningApp> {
    const owner = runOwner ? ['--run-owner', runOwner] : [];
    const named = run === undefined ? [] : typeof run === 'string' ? ['--manifest', run] : ['--netuid', String(run.netuid)];
    this.app = await startApp({ home: this.home, env: this.env, timeoutMs: 60_000, args: ['--headless', '--network', network, ...named, ...owner, '--hotkey-passphrase-env', 'HP', '--storage-passphrase-env', 'SP'] });
    return this.app;
  }

  /** A method of the running app's contract, over its headless RPC endpoint. */
  async call<T>(method: string, params: unknown = {}): Promise<T> {
    if (!this.app) throw new Error(`${this.name} is not running`);
    const response = await fetch(`${this.app.origin}/api/rpc`, { method: 'POST', headers: { authorization: `Bearer ${this.app.token}` }, body: JSON.stringify({ kind: 'request', id: method, method, params }) });
    const envelope = (await response.json()) as { ok: boolean; result?: T; error?: { message: string } };
    if (!envelope.ok) throw new Error(`${this.name}: ${method}: ${envelope.error?.message}`);
    return envelope.result as T;
  }

  /** Its round ledger: per window, what happened and the model digest after the outer step. */
  ledger(network: string, netuid: number): RoundLedger {
    const folder = `${network.replace(/^wss?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_')}-${netuid}`;
    return new RoundLedger(path.join(this.home, 'data', 'runs', folder, 'rounds.ndjson'));
  }

  /** Window -> digest of every window this machine applied. */
  async digests(network: string, netuid: number): Promise<Map<number, string>> {
    const file = this.ledger(network, netuid);
    const out = new Map<number, string>();
    if (!fs.existsSync(file.file)) return out;
    for (const s of await file.summaries()) if (s.modelDigest) out.set(s.window, s.modelDigest);
    return out;
  }
}

/**
 * A long-running `tandem` command (a validator, `devnet serve`), its output
 * kept for the failure message; `stop()` ends it with SIGTERM, then SIGKILL
 * to its process group after a minute.
 */
export function spawnTandem(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; stop(): Promise<void> } {
  const child = spawnTracked(process.execPath, [path.join(REPO_ROOT, 'bin', 'tandem.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

export const TAO = 1_000_000_000n;

/**
 * The network of a multi-process test: the devnet's node served on
 * 127.0.0.1 as a subtensor endpoint, with the devnet run's block time and a
 * tempo of two windows (burn and emission 1 TAO), and an S3 server, both in
 * `dir`.
 */
export async function startLocalNetwork(dir: string, netuid: number): Promise<{ node: DevnetNode; s3: DevnetS3; url: string }> {
  const { windows } = devnetManifest();
  const node = await DevnetNode.start({ stateFile: path.join(dir, 'chain', 'state.json'), netuid, blockMs: windows.blockSeconds * 1000, tempo: windows.blocksPerWindow * 2, burn: TAO, emissionPerTempo: TAO });
  const s3 = await DevnetS3.start({ root: path.join(dir, 's3') });
  return { node, s3, url: node.url };
}

/** The devnet corpus (the app's own) tokenised by the trainer into llm.c shards of `shardTokens` tokens in `dir`: a run owner's data. */
export function prepareCorpusShards(dir: string, shardTokens = 150_000): string[] {
  const corpus = path.join(REPO_ROOT, 'native', 'data', 'sotu');
  const texts = fs.readdirSync(corpus).filter((f) => f.endsWith('.txt')).sort().map((f) => path.join(corpus, f));
  const prepared = spawnSync(TRAINER_BINARY, ['prepare-data', '--input', ...texts, '--output', dir, '--prefix', 'sotu', '--shard-tokens', String(shardTokens)], { encoding: 'utf8' });
  if (prepared.status !== 0) throw new Error(`prepare-data failed: ${prepared.stderr}`);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
}
