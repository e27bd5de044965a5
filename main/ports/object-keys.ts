/**
 * Object names carry the window, the uploader's uid and the protocol version,
 * as deployed (`gradient-{window}-{uid}-v{version}`), so peers on another
 * protocol version simply never see each other's objects.
 */
export function gradientKey(window: number, uid: number, protocolVersion: string): string {
  return `gradient-${window}-${uid}-v${protocolVersion}`;
}

export interface GradientKeyParts {
  window: number;
  uid: number;
  protocolVersion: string;
}

export function parseGradientKey(key: string): GradientKeyParts | null {
  const match = /^gradient-(\d{1,12})-(\d{1,5})-v([0-9A-Za-z.-]{1,32})$/.exec(key);
  if (!match) return null;
  return { window: Number(match[1]), uid: Number(match[2]), protocolVersion: match[3] as string };
}

export function checkpointPrefix(protocolVersion: string, window: number): string {
  return `checkpoints/${protocolVersion}/${window}/`;
}

export function checkpointLatestKey(protocolVersion: string): string {
  return `checkpoints/${protocolVersion}/latest.json`;
}

/**
 * Keys of one uploader's per-window objects (its updates, `gradient-…`, and
 * the sync reports beside them, `sync-…`) older than the retention horizon,
 * to delete. Anything else (checkpoints, other uploaders' or other protocol
 * versions' objects) is left alone.
 */
export function expiredWindowKeys(keys: readonly string[], uid: number, protocolVersion: string, currentWindow: number, retentionWindows: number): string[] {
  return keys.filter((key) => {
    const parts = parseGradientKey(key.startsWith('sync-') ? `gradient-${key.slice(5)}` : key);
    return parts !== null && parts.uid === uid && parts.protocolVersion === protocolVersion && parts.window < currentWindow - retentionWindows;
  });
}
