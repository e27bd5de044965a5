/** A peer's own bucket: where it writes (the write key stays on its machine), and the read key it publishes. */
export interface BucketAccess {
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  write: { accessKeyId: string; secretAccessKey: string };
  read: { accessKeyId: string; secretAccessKey: string };
}
