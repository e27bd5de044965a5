import { resolveTarget } from './networks';
import { SubtensorChain } from './subtensor-chain';

export type NetworkCheck =
  | { ok: true; name: string; endpoint: string; chain: string; specVersion: number; block: number; netuid: number | null }
  | { ok: false; kind: NetworkProblem; reason: string };

/** invalid: not a network at all (a typo); the others may change while the app runs. */
export type NetworkProblem = 'invalid' | 'unreachable' | 'wrong-chain' | 'no-subnet' | 'failed';

/**
 * Can Tandem use this subtensor endpoint for this subnet? Answers in one line
 * for each way it can fail: not a network we know, unreachable, not a
 * subtensor chain (or the wrong one), or the subnet does not exist there.
 * The CLI runs it before `tandem start --network <url>` commits to a target.
 */
export async function checkNetwork(target: string, netuid?: number, options: { timeoutMs?: number } = {}): Promise<NetworkCheck> {
  let resolved;
  try {
    resolved = resolveTarget(target);
  } catch (error) {
    return { ok: false, kind: 'invalid', reason: (error as Error).message };
  }
  if (resolved.kind === 'devnet') return { ok: false, kind: 'invalid', reason: 'devnet runs inside the app; it is not a subtensor endpoint to check' };
  // A URL nobody named a subnet for has none to check: the run's manifest names it.
  const subnet = netuid ?? resolved.netuid;
  let chain: SubtensorChain;
  try {
    chain = await SubtensorChain.open({
      name: resolved.name,
      endpoint: resolved.url,
      readyTimeoutMs: options.timeoutMs ?? 15_000,
      requestTimeoutMs: options.timeoutMs ?? 15_000,
    });
  } catch (error) {
    return { ok: false, kind: 'unreachable', reason: `unreachable: ${resolved.url} did not answer as a Substrate node (${oneLine((error as Error).message)})` };
  }
  try {
    const api = chain.api;
    const chainName = (await api.rpc.system.chain()).toString();
    const genesis = api.genesisHash.toHex();
    if (!api.query['subtensorModule']) {
      return { ok: false, kind: 'wrong-chain', reason: `wrong chain: ${resolved.url} is "${chainName}", which has no SubtensorModule pallet (not a Bittensor subtensor node)` };
    }
    if (resolved.genesisHash && genesis !== resolved.genesisHash) {
      return { ok: false, kind: 'wrong-chain', reason: `wrong chain: ${resolved.url} has genesis ${genesis.slice(0, 12)}…, not ${resolved.name}'s ${resolved.genesisHash.slice(0, 12)}…` };
    }
    if (subnet !== null && !(await chain.subnetExists(subnet))) {
      const total = Number((await api.query['subtensorModule']!['totalNetworks']!()).toString());
      return { ok: false, kind: 'no-subnet', reason: `netuid missing: subnet ${subnet} does not exist on ${resolved.name} (${total} subnets there)` };
    }
    return {
      ok: true,
      name: resolved.name,
      endpoint: resolved.url,
      chain: chainName,
      specVersion: api.runtimeVersion.specVersion.toNumber(),
      block: await chain.blockNumber(),
      netuid: subnet,
    };
  } catch (error) {
    return { ok: false, kind: 'failed', reason: `check failed: ${oneLine((error as Error).message)}` };
  } finally {
    await chain.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
