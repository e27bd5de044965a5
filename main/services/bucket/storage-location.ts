import type { StorageEndpointChoice } from '../../../contract/domains/storage';
import type { StorageLocation } from '../../ports/storage-credentials';

const R2_HOST = /^([0-9a-f]{32})\.r2\.cloudflarestorage\.com$/;
const AWS_HOST = /^s3\.([a-z0-9-]+)\.amazonaws\.com$/;

/**
 * The S3 API endpoint, signing region and addressing style of an endpoint
 * choice. R2 signs with region `auto`; AWS prefers virtual-hosted URLs
 * (bucket.s3.region…), except for dotted bucket names, whose TLS certificate
 * would not match; other S3 servers (MinIO, the devnet's) expect path style.
 */
export function resolveLocation(choice: StorageEndpointChoice, bucket: string, forcePathStyle?: boolean): StorageLocation {
  switch (choice.kind) {
    case 'r2':
      return { endpoint: `https://${choice.accountId}.r2.cloudflarestorage.com`, region: 'auto', bucket, forcePathStyle: forcePathStyle ?? true };
    case 'aws':
      return { endpoint: `https://s3.${choice.region}.amazonaws.com`, region: choice.region, bucket, forcePathStyle: forcePathStyle ?? bucket.includes('.') };
    case 's3':
      return { endpoint: choice.url, region: choice.region, bucket, forcePathStyle: forcePathStyle ?? true };
  }
}

/** The choice a saved endpoint came from, so Settings shows it back the way it was entered. */
export function endpointChoiceOf(location: Pick<StorageLocation, 'endpoint' | 'region'>): StorageEndpointChoice {
  const url = new URL(location.endpoint);
  const plainHttps = url.protocol === 'https:' && url.port === '';
  const r2 = plainHttps ? R2_HOST.exec(url.hostname) : null;
  if (r2?.[1] && location.region === 'auto') return { kind: 'r2', accountId: r2[1] };
  const aws = plainHttps ? AWS_HOST.exec(url.hostname) : null;
  if (aws?.[1] && aws[1] === location.region) return { kind: 'aws', region: aws[1] };
  return { kind: 's3', url: location.endpoint, region: location.region };
}

/** "bucket tandem-peer at abc….r2.cloudflarestorage.com", for messages. */
export function describeLocation(location: Pick<StorageLocation, 'endpoint' | 'bucket'>): string {
  return `bucket "${location.bucket}" at ${new URL(location.endpoint).host}`;
}
