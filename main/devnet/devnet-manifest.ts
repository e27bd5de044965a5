import { DEVNET_MODEL } from '../services/hardware/memory-fit';
import { parseManifest, type RunManifest } from '../ports/run-manifest';

/**
 * The embedded default run: a tiny byte-level LLaMA on the bundled corpus,
 * short windows so a round completes in well under a minute on 2 CPU cores,
 * and the published SparseLoCo compression (1.5625 %, 2-bit, error feedback).
 */
export function devnetManifest(): RunManifest {
  return parseManifest(devnetManifestDocument(), 'devnet manifest');
}

/** The devnet manifest as a document, for a variant that changes a few fields (the trust benchmark's shorter run). */
export function devnetManifestDocument() {
  return {
    version: 1,
    name: 'tandem-devnet',
    protocolVersion: '1',
    // The model the readiness check sizes for the devnet is this one.
    model: { ...DEVNET_MODEL },
    data: { shards: 'bundled:sotu' },
    optimizer: { lr: 3e-3, warmupSteps: 20, batchSize: 4 },
    // Outer lr 0.4. bench:sparseloco found 1.0 best for this model at H 40, but it applies each
    // aggregate at once; the app applies it one window late (communication overlaps the next
    // window's training), and there 1.0 oscillated: in bench:trust (20 inner steps, 12 windows)
    // every honest update was harmful in two windows and the held-out loss ended at 5.47, against
    // 3.96 at 0.7 and 3.68 at 0.4 with no harmful window (native/trainer/SPARSELOCO.md).
    sparseloco: { innerSteps: 40, outerLr: 0.4 },
    // The gather cap outlasts a window plus the upload deadline and grace (15 + 11 s) and the settle margin:
    // a gather that starts as early as a window's start still looks until the deadline, as the inclusion rule needs.
    windows: { blocksPerWindow: 10, blockSeconds: 1.5, uploadDeadlineSeconds: 10, uploadGraceSeconds: 1, perPeerTimeoutSeconds: 15, gatherCapSeconds: 30, gatherPeers: 8, reservePeers: 2 },
    chain: { network: 'devnet', netuid: 3 },
  };
}
