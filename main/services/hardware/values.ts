/**
 * Small pure helpers for the values nvidia-smi prints: '8192 MiB', '42 C',
 * '175.00 W', '16x', 'N/A', '[Not Supported]', '610.62 [Deprecated; …]'.
 */

const UNAVAILABLE = /^\[?(n\/a|not supported|unknown error|requested functionality has been deprecated|insufficient permissions|gpu is lost|unknown|none)\]?$/i;

/** Trimmed text, or null where nvidia-smi says the value is not available. */
export function textValue(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'object') return null;
  const text = String(raw).trim();
  if (text === '' || UNAVAILABLE.test(text)) return null;
  return text;
}

/** The first number in the text ('42 C' → 42, '175.00 W' → 175, '16x' → 16), or null. */
export function numberValue(raw: unknown): number | null {
  const text = textValue(raw);
  if (text === null) return null;
  const match = /-?\d+(?:\.\d+)?/.exec(text);
  if (!match) return null;
  const value = Number(match[0]);
  return Number.isFinite(value) ? value : null;
}

/** A memory amount in MiB ('8192 MiB', '8 GiB', '512 KiB'); a bare number counts as MiB. */
export function mibValue(raw: unknown): number | null {
  const text = textValue(raw);
  if (text === null) return null;
  const match = /(-?\d+(?:\.\d+)?)\s*([KMGT]i?B)?/i.exec(text);
  if (!match?.[1]) return null;
  const value = Number(match[1]);
  const unit = (match[2] ?? 'MiB').toUpperCase().replace('I', '');
  const factor: Record<string, number> = { KB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 };
  return value * (factor[unit] ?? 1);
}

/** '610.62 [Deprecated; will be removed…]' → '610.62'. */
export function versionValue(raw: unknown): string | null {
  const text = textValue(raw);
  if (text === null) return null;
  const match = /^[0-9]+(?:\.[0-9]+)*/.exec(text);
  return match ? match[0] : text;
}

export function onOffValue(raw: unknown): 'enabled' | 'disabled' | null {
  const text = textValue(raw)?.toLowerCase();
  if (text === 'enabled' || text === 'on') return 'enabled';
  if (text === 'disabled' || text === 'off') return 'disabled';
  return null;
}

/** Compares dotted versions numerically: -1, 0 or 1. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Bytes per second as megabits per second, the unit ISPs quote. */
export function formatMbps(bytesPerSecond: number): string {
  return `${((bytesPerSecond * 8) / 1e6).toFixed(1)} Mb/s`;
}
