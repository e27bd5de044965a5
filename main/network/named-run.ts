import { loadManifest } from '../services/run/load-manifest';
import type { VerifiedManifest } from '../services/run/signed-manifest';

/**
 * What the user named as the run on a network: its manifest (a path or a
 * URL), or its subnet alone (the manifest is then found on chain), and
 * optionally its owner's hotkey.
 */
export interface RunNaming {
  network: string;
  manifest: string | null;
  netuid: number | null;
  owner: string | null;
}

/**
 * The run named for the chosen network, downloaded and verified once and
 * then kept, so that views which read it synchronously (the Network page,
 * the subnet of a network) see the same checked manifest that Join uses.
 * Join always verifies again: a manifest may change at its URL.
 */
export class NamedRun {
  private last: { key: string; result: VerifiedManifest | Error } | null = null;
  private loading: { key: string; promise: Promise<VerifiedManifest | null> } | null = null;

  constructor(private readonly naming: () => RunNaming) {}

  /** Reads and verifies the named run now; null when none is named for the network. */
  async load(network: string): Promise<VerifiedManifest | null> {
    const named = this.naming();
    if (!isNamed(named, network)) return null;
    const key = keyOf(named);
    if (this.loading?.key === key) return this.loading.promise;
    const promise = loadManifest(named.manifest, { network, owner: named.owner, netuid: named.netuid }).then(
      (verified) => {
        this.last = { key, result: verified };
        return verified;
      },
      (error: unknown) => {
        this.last = { key, result: error as Error };
        throw error;
      },
    );
    this.loading = { key, promise };
    return promise.finally(() => {
      if (this.loading?.promise === promise) this.loading = null;
    });
  }

  /**
   * The run as last verified: null when none is named (or it is still being
   * read: reading starts here), and the error when it could not be verified.
   */
  current(network: string): VerifiedManifest | null {
    const named = this.naming();
    if (!isNamed(named, network)) return null;
    const key = keyOf(named);
    if (this.last?.key === key) {
      if (this.last.result instanceof Error) throw this.last.result;
      return this.last.result;
    }
    void this.load(network).catch(() => undefined);
    return null;
  }
}

function isNamed(named: RunNaming, network: string): boolean {
  return named.network === network && (named.manifest !== null || named.netuid !== null);
}

function keyOf(named: RunNaming): string {
  return JSON.stringify([named.network, named.manifest, named.netuid, named.owner]);
}
