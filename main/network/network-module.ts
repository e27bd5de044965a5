import type { ManifestSummary, NetworkOverview, PeerRow } from '../../contract/domains/network';
import type { networkMethods } from '../../contract/domains/network';
import type { CoreModule } from '../core/module';
import { isMiner, minersWeighted } from '../services/round/aggregation-peers';
import { leftOutOfNewestGather } from './gathered-lately';
import type { JoinedRunLink } from './joined-run';
import type { RunManifest } from '../ports/run-manifest';
import type { VerifiedManifest } from '../services/run/signed-manifest';
import { asCoreHandlers, type DomainHandlers } from '../core/domain-module';

export interface NetworkModuleOptions {
  /** The run joined now, if any. */
  run: JoinedRunLink;
  /** The checked manifest of the run on a target (the devnet's is built in; others come from --manifest); throws when it could not be checked. */
  manifestFor(target: string): VerifiedManifest | null;
  /** Rounds of bandwidth shown. */
  bandwidthWindows?: number;
}

export function summarizeManifest(verified: VerifiedManifest): ManifestSummary {
  const m = verified.manifest;
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
    data: describeData(m),
    checkpoints: m.checkpoints.publisher
      ? `every ${m.checkpoints.everyWindows} windows by ${m.checkpoints.publisher} (the newest ${m.checkpoints.keep} kept): a late joiner starts from the newest`
      : 'none published: a late joiner can only replay the updates still kept',
    owner: verified.owner,
    source: verified.source,
    digest: verified.digest,
  };
}

/** The run's data in words. */
function describeData(m: RunManifest): string {
  const { shards } = m.data;
  if (typeof shards === 'string') return shards.startsWith('bundled:') ? `the bundled corpus ${shards.slice('bundled:'.length)}, ${m.data.tokenizer} tokens` : `token shards in ${shards}`;
  const train = shards.filter((s) => s.split === 'train');
  const bytes = shards.reduce((sum, s) => sum + s.bytes, 0);
  return `${train.length} train and ${shards.length - train.length} validation shards (${(bytes / 1e9).toFixed(2)} GB, ${m.data.tokenizer} tokens); ${m.data.shardsPerPeer} per peer each window`;
}

/**
 * The Network page's data: the run manifest, the subnet's peers with what
 * this machine knows of each (rating, last update used, bytes received, why
 * one cannot be used), and the bandwidth of recent rounds from the ledger.
 */
export function createNetworkModule(options: NetworkModuleOptions): CoreModule {
  return {
    name: 'network',
    handlers(ctx) {
      const overview = async (): Promise<NetworkOverview> => {
        const target = ctx.config.value.network;
        let manifest: VerifiedManifest | null = null;
        let manifestProblem: string | null = null;
        try {
          manifest = options.manifestFor(target);
        } catch (error) {
          manifestProblem = (error as Error).message;
        }
        const run = options.run.current?.network === target ? options.run.current : null;
        if (!run) {
          return {
            target,
            joined: false,
            manifest: manifest ? summarizeManifest(manifest) : null,
            peers: [],
            bandwidth: [],
            note: manifestProblem ?? (manifest ? 'Join the run to see its peers and the bandwidth of each round.' : `No run named for ${target}: name it in the Network card on this page (its subnet, or its manifest), or start Tandem with --netuid <subnet> or --manifest <file or URL>.`),
            notices: [],
          };
        }
        const metagraph = await run.chain.metagraph(run.manifest.chain.netuid);
        const committed = run.directory?.committedHotkeys();
        const weighted = minersWeighted(metagraph.neurons, committed);
        const peers: PeerRow[] = metagraph.neurons.map((n) => {
          const traffic = run.traffic.of(n.uid);
          const self = n.hotkey === run.hotkey;
          const miner = isMiner(n, committed);
          const unreachable = self || !miner ? null : (run.directory?.entryOf(n.uid)?.unreachable ?? null);
          const leftOut = self || !miner ? null : leftOutOfNewestGather(n, traffic, run.traffic.newestWindow, weighted, run.manifest.windows.gatherPeers);
          return {
            uid: n.uid,
            hotkey: n.hotkey,
            role: miner ? 'miner' : 'validator',
            self,
            incentive: n.incentive,
            rating: miner ? (run.ratingOf?.(n.uid) ?? null) : null,
            lastSeen: traffic?.lastSeen ?? null,
            lastWindow: traffic?.lastWindow ?? null,
            lastOutcome: traffic?.lastOutcome ?? null,
            bytes: traffic?.bytes ?? 0,
            problem: unreachable ? `unreachable: ${unreachable}` : (leftOut ?? traffic?.lastReason ?? null),
          };
        });
        const summaries = await run.ledger.summaries();
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
        return { target, joined: true, manifest: summarizeManifest(run.verified), peers, bandwidth, note: null, notices: run.notices().map((n) => n.message) };
      };
      const handlers: DomainHandlers<typeof networkMethods> = { 'network.overview': overview };
      return asCoreHandlers(handlers);
    },
  };
}
