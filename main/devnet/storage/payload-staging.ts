import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { UNSIGNED_PAYLOAD } from '@smithy/signature-v4';
import { writeFileHashing } from './hashing-file-writer';
import { S3Failure } from './s3-failure';

/** A request body held on disk until it is known to be the one that was signed. */
export interface StagedBody {
  file: string;
  size: number;
}

const EMPTY_SHA256 = crypto.createHash('sha256').digest('hex');

/**
 * Streams the request's body into a file under `directory` while hashing it,
 * and keeps it only if its SHA-256 is the one the signature covers (any body
 * passes for UNSIGNED-PAYLOAD). Nothing reaches the bucket before that check,
 * and memory stays at one chunk whatever the size. Null: the request has no
 * body. On a mismatch or a broken upload the file is removed.
 */
export async function stageBody(req: IncomingMessage, directory: string, payloadHash: string): Promise<StagedBody | null> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    assertHash(EMPTY_SHA256, payloadHash);
    return null;
  }
  await fs.mkdir(directory, { recursive: true });
  const file = path.join(directory, `body-${crypto.randomUUID()}`);
  try {
    const { digest, size } = await writeFileHashing(req, file, 'sha256');
    assertHash(digest, payloadHash);
    return { file, size };
  } catch (error) {
    await fs.rm(file, { force: true });
    throw error;
  }
}

export async function discardStaged(staged: StagedBody | null): Promise<void> {
  if (staged) await fs.rm(staged.file, { force: true });
}

function assertHash(actual: string, claimed: string): void {
  if (claimed === UNSIGNED_PAYLOAD || actual === claimed) return;
  throw new S3Failure('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
}
