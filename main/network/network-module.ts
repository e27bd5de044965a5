import type { ManifestSummary, NetworkOverview, PeerRow } from '../../contract/domains/network';
import type { networkMethods } from '../../contract/domains/network';
import type { CoreModule } from '../core/module';
import type { DevnetChainLink } from '../devnet/devnet-chain-link';
import type { RunManifest } from '../run/manifest';
import { asCoreHandlers, type DomainHandlers } from '../wallet/domain-module';

export interface NetworkModuleOptions {
  devnet: DevnetChainLink;
  /** The manifest of the run on a target, where this build knows it (the devnet's is built in). */
  manifestFor(target: string): RunManifest | null;
  /** Rounds of bandwidth shown. */
  bandwidthWindows?: number;
}

export function summarizeManifest(m: RunManifest): ManifestSummary {
  return {
    name: m.name,
    version: m.version,
    protocolVersion: m.protocolVersion,
    model: { layers: m.model.layers, hiddenSize: m.model.hiddenSize, heads: m.model.heads, vocabSize: m.model.vocabSize, sequenceLength: m.model.sequenceLength },
    sparseloco: { innerSteps: m.sparseloco.innerSteps, chunkSize: m.sparseloco.chunkSize, topK: m.sparseloco.topK, outerLr: m.sparseloco.outerLr },
    windows: {
      blocksPerWindow: m.windows.blocksPerWindow,
      blockSeconds: m.windows.blockSeconds,
      uploadDeadlineSeconds: m.windows.uploadDeadlineSeconds,
      gatherPeers: m.windows.gatherPeers,
    },
    chain: { network: m.chain.network, netuid: m.chain.netuid },
    storage: !m.storage ? 'each peer’s own bucket, published on chain' : m.storage.kind === 'filesystem' ? `local folder ${m.storage.root}` : `S3 bucket ${m.storage.bucket} at ${m.storage.endpoint}`,
  };
}

/**
 * The Network page's data: the run manifest, the subnet's peers with what
 * this machine knows of each (rating, last update used, bytes received), and
 * the bandwidth of recent rounds from the ledger.
 */
export function createNetworkModule(options: NetworkModuleOptions): CoreModule {
  return {
    name: 'network',
    handlers(ctx) {
      const overview = async (): Promise<NetworkOverview> => {
        const target = ctx.config.value.network;
        const manifest = options.manifestFor(target);
        const view = target === 'devnet' ? options.devnet.view : null;
        if (!view) {
          return {
            target,
            joined: false,
            manifest: manifest ? summarizeManifest(manifest) : null,
            peers: [],
            bandwidth: [],
            note:
              target === 'devnet'
                ? 'Join the run to see the devnet’s peers and the bandwidth of each round.'
                : `This build trains only on the devnet; peers on ${target} are listed once it can join there.`,
          };
        }
        const netuid = manifest?.chain.netuid ?? 3;
        const metagraph = await view.chain.metagraph(netuid);
        const peers: PeerRow[] = metagraph.neurons.map((n) => {
          const traffic = view.traffic?.of(n.uid);
          return {
            uid: n.uid,
            hotkey: n.hotkey,
            role: n.validatorPermit ? 'validator' : 'miner',
            self: n.hotkey === view.hotkey,
            incentive: n.incentive,
            rating: n.validatorPermit ? null : (view.ratingOf?.(n.uid) ?? null),
            lastSeen: traffic?.lastSeen ?? null,
            lastWindow: traffic?.lastWindow ?? null,
            lastOutcome: traffic?.lastOutcome ?? null,
            bytes: traffic?.bytes ?? 0,
          };
        });
        const summaries = view.ledger ? await view.ledger.summaries() : [];
        const bandwidth = summaries
          .filter((s) => s.bytesUp > 0 || s.bytesDown > 0)
          .slice(-(options.bandwidthWindows ?? 60))
          .map((s) => ({
            window: s.window,
            bytesUp: s.bytesUp,
            bytesDown: s.bytesDown,
            uploadSeconds: s.phaseSeconds['uploading'] ?? null,
            gatherSeconds: s.phaseSeconds['gathering'] ?? null,
          }));
        return { target, joined: true, manifest: manifest ? summarizeManifest(manifest) : null, peers, bandwidth, note: null };
      };
      const handlers: DomainHandlers<typeof networkMethods> = { 'network.overview': overview };
      return asCoreHandlers(handlers);
    },
  };
}
