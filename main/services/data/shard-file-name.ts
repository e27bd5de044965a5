import type { ShardSpec } from '../../ports/run-manifest';

/**
 * The name a shard has on disk: its content hash and the format its URL
 * names, `<sha256>.bin` or `<sha256>.npy`. Naming by content lets every run
 * that lists the same shard share one file, and makes the order the trainer
 * reads a data folder in (bytewise sort of file names, native/trainer/DATA.md)
 * the same on every machine, whatever the URLs were.
 */
export function shardFileName(spec: Pick<ShardSpec, 'url' | 'sha256'>): string {
  return `${spec.sha256}.${shardExtension(spec.url)}`;
}

/** `npy` when the URL's path ends in `.npy` (any case), else llm.c's `bin`. */
export function shardExtension(url: string): 'bin' | 'npy' {
  // The path only: a query string or fragment (a presigned URL) says nothing about the format.
  const pathPart = url.replace(/[?#].*$/, '');
  return /\.npy$/i.test(pathPart) ? 'npy' : 'bin';
}
