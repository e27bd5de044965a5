import type { Command } from 'commander';
import { HEADLESS } from '../../../../contract/bridge';
import type { NetworkOverview } from '../../../../contract/domains/network';
import type { RoundState } from '../../../../contract/domains/round';
import { ConfigStore } from '../../../core/config/config-store';
import { readInstanceFile } from '../../headless/instance-file';
import { headlessAppPaths } from '../../../platform/app-paths';

/** What `tandem status --json` prints: the running app's round, its peers and why any of them is left out. */
export interface StatusReport {
  running: true;
  pid: number;
  network: string;
  round: Pick<RoundState, 'joined' | 'window' | 'block' | 'phase' | 'completedRounds' | 'blocker' | 'loss'>;
  /** The model this machine holds: the last window whose aggregate it applied, and the weights' digest after it. */
  model: { window: number; digest: string | null } | null;
  chain: unknown;
  peers: Array<{ uid: number; hotkey: string; role: string; self: boolean; lastOutcome: string | null; problem: string | null }>;
  notices: string[];
  note: string | null;
}

export interface StatusIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Defaults to the headless paths (TANDEM_HOME or the OS folders), with the config's data folder. */
  dataDir?: string;
}

/**
 * `tandem status [--json]`: asks the Tandem running headless on this machine
 * (the address and token it left, 0600, in its data folder) how its run goes.
 * Exit 0 when it answered, 3 when no instance is running.
 */
export async function runStatus(options: { json?: boolean }, io: StatusIo): Promise<number> {
  const dataDir = io.dataDir ?? (await configuredDataDir());
  const instance = await readInstanceFile(dataDir);
  if (!instance) {
    io.stderr(`tandem status: no Tandem is running headless with its data in ${dataDir} (start it with tandem start --headless; the desktop app has no status endpoint)\n`);
    return 3;
  }
  const ask = async <T>(method: string): Promise<T> => {
    const response = await fetch(`${instance.base}${HEADLESS.rpcPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${instance.token}` },
      body: JSON.stringify({ kind: 'request', id: method, method, params: {} }),
      signal: AbortSignal.timeout(10_000),
    });
    const envelope = (await response.json()) as { ok: boolean; result?: T; error?: { message: string } };
    if (!envelope.ok) throw new Error(`${method}: ${envelope.error?.message ?? 'failed'}`);
    return envelope.result as T;
  };
  let round: RoundState;
  let network: NetworkOverview;
  let chain: unknown;
  try {
    [round, network, chain] = await Promise.all([ask<RoundState>('round.get'), ask<NetworkOverview>('network.overview'), ask<unknown>('chain.status')]);
  } catch (error) {
    io.stderr(`tandem status: the running Tandem (pid ${instance.pid}) did not answer: ${(error as Error).message}\n`);
    return 3;
  }
  const report: StatusReport = {
    running: true,
    pid: instance.pid,
    network: network.target,
    round: { joined: round.joined, window: round.window, block: round.block, phase: round.phase, completedRounds: round.completedRounds, blocker: round.blocker, loss: round.loss },
    model: round.lastRound ? { window: round.lastRound.window, digest: round.lastRound.modelDigest ?? null } : null,
    chain,
    peers: network.peers.map((p) => ({ uid: p.uid, hotkey: p.hotkey, role: p.role, self: p.self, lastOutcome: p.lastOutcome, problem: p.problem })),
    notices: network.notices,
    note: network.note,
  };
  if (options.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `Tandem (pid ${report.pid}) on ${report.network}: ${round.joined ? `joined, window ${round.window ?? '–'}, ${round.phase}, ${round.completedRounds} rounds done` : 'not joined'}`,
    ...(round.blocker ? [`  waiting: ${round.blocker}`] : []),
    ...report.notices.map((n) => `  warning: ${n}`),
    ...(report.note ? [`  ${report.note}`] : []),
    ...report.peers.filter((p) => p.problem).map((p) => `  uid ${p.uid}: ${p.problem}`),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

async function configuredDataDir(): Promise<string> {
  const paths = headlessAppPaths();
  try {
    return (await ConfigStore.load(paths.configFile)).value.dataDir ?? paths.dataDir;
  } catch {
    return paths.dataDir;
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('ask the Tandem running headless on this machine how its run goes (peers left out and why)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      process.exitCode = await runStatus(options, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
    });
}
