import { resolveTarget } from '../networks';
import { SubtensorChain } from './subtensor-chain';

export type NetworkCheck =
  | { ok: true; name: string; endpoint: string; chain: string; specVersion: number; block: number; netuid: number }
  | { ok: false; reason: string };

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
    return { ok: false, reason: (error as Error).message };
  }
  if (resolved.kind === 'devnet') return { ok: false, reason: 'devnet is the local practice ledger, not a subtensor endpoint' };
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
    return { ok: false, reason: `unreachable: ${resolved.url} did not answer as a Substrate node (${oneLine((error as Error).message)})` };
  }
  try {
    const api = chain.api;
    const chainName = (await api.rpc.system.chain()).toString();
    const genesis = api.genesisHash.toHex();
    if (!api.query['subtensorModule']) {
      return { ok: false, reason: `wrong chain: ${resolved.url} is "${chainName}", which has no SubtensorModule pallet (not a Bittensor subtensor node)` };
    }
    if (resolved.genesisHash && genesis !== resolved.genesisHash) {
      return { ok: false, reason: `wrong chain: ${resolved.url} has genesis ${genesis.slice(0, 12)}…, not ${resolved.name}'s ${resolved.genesisHash.slice(0, 12)}…` };
    }
    if (!(await chain.subnetExists(subnet))) {
      const total = Number((await api.query['subtensorModule']!['totalNetworks']!()).toString());
      return { ok: false, reason: `netuid missing: subnet ${subnet} does not exist on ${resolved.name} (${total} subnets there)` };
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
    return { ok: false, reason: `check failed: ${oneLine((error as Error).message)}` };
  } finally {
    await chain.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
