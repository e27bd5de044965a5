import semver from 'semver';
import { PAYLOAD_FORMAT_VERSION } from '../../adapters/codec/payload-format';
import type { RunManifest } from '../../ports/run-manifest';

/**
 * Why this app cannot take part in a run, or null when it can: an app older
 * than the run's minimum, or one that writes another update format, would
 * train for nothing (its updates would be refused by every peer), so it says
 * so before joining instead.
 */
export function incompatibilityWith(manifest: RunManifest, app: { version: string; payloadFormat?: number }): string | null {
  if (manifest.minTandemVersion && semver.valid(app.version) && semver.lt(app.version, manifest.minTandemVersion)) {
    return `this run needs Tandem ${manifest.minTandemVersion} or newer and this is ${app.version}: update Tandem, then join again`;
  }
  const ours = app.payloadFormat ?? PAYLOAD_FORMAT_VERSION;
  if (manifest.payloadFormat !== ours) {
    const newer = manifest.payloadFormat > ours;
    return `this run exchanges updates in payload format ${manifest.payloadFormat} and this Tandem writes format ${ours}: ${newer ? 'update Tandem' : 'the run is older than this app; ask its owner, or use an older Tandem'}`;
  }
  return null;
}

/**
 * Why the chain at `endpoint` is not the run's, or null when it is (or the
 * manifest names no genesis: an unsigned file of the user's own).
 */
export function wrongChain(manifest: RunManifest, genesisHash: string, endpoint: string): string | null {
  const expected = manifest.chain.genesisHash;
  if (!expected || expected === genesisHash) return null;
  return `${endpoint} serves another chain than the run ${manifest.name} (its genesis is ${genesisHash}, the run's is ${expected}): check the network setting, or ask the run's owner for its current manifest`;
}
