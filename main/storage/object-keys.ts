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
 * Keys of gradient objects older than the retention horizon, to delete. Other
 * objects (checkpoints, other versions' files) are left alone.
 */
export function expiredGradientKeys(keys: readonly string[], currentWindow: number, retentionWindows: number): string[] {
  return keys.filter((key) => {
    const parts = parseGradientKey(key);
    return parts !== null && parts.window < currentWindow - retentionWindows;
  });
}
