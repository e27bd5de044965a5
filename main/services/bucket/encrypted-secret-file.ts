import fs from 'node:fs/promises';
import path from 'node:path';
import { jsonDecrypt, jsonEncrypt } from '@polkadot/util-crypto';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import { keysReady } from '../wallet/keys';
import { StorageCredentialsError } from './storage-credentials-error';
import { StorageSecretsShape, type StorageSecrets } from '../../ports/storage-credentials';

const KIND = 'tandem-storage-secrets';


/** The file: which key ids it holds in the clear (to spot a stale file without the passphrase), the secrets sealed. */
const SecretFile = z.object({
  kind: z.literal(KIND),
  version: z.literal(1),
  writeAccessKeyId: z.string(),
  readAccessKeyId: z.string(),
  sealed: z.object({
    encoded: z.string().min(1),
    encoding: z.object({ content: z.array(z.string()), type: z.union([z.string(), z.array(z.string())]), version: z.string() }),
  }),
});

/**
 * Storage secrets in a file sealed with the storage passphrase, the way the
 * wallet keystores are (polkadot's encrypted JSON: scrypt-derived key,
 * xsalsa20-poly1305, so a wrong passphrase or a changed byte fails to open).
 * Written atomically, 0600, in a 0700 folder: a crash leaves the old file or
 * the new one, and a failed open changes nothing.
 */
export class EncryptedSecretFile {
  constructor(readonly file: string) {}

  async exists(): Promise<boolean> {
    return (await readFileIfExists(this.file)) !== undefined;
  }

  /** The key ids the file was sealed for, without the passphrase; null when there is no file. */
  async keyIds(): Promise<{ write: string; read: string } | null> {
    const file = await this.readFile();
    return file ? { write: file.writeAccessKeyId, read: file.readAccessKeyId } : null;
  }

  async save(secrets: StorageSecrets, passphrase: string): Promise<void> {
    await keysReady();
    const plain = new TextEncoder().encode(JSON.stringify(StorageSecretsShape.parse(secrets)));
    const sealed = jsonEncrypt(plain, [KIND], passphrase);
    plain.fill(0);
    const body = { kind: KIND, version: 1, writeAccessKeyId: secrets.write.accessKeyId, readAccessKeyId: secrets.read.accessKeyId, sealed };
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomically(this.file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  }

  /** The secrets; null when there is no file. A wrong passphrase is StorageCredentialsError('WRONG_PASSPHRASE'). */
  async open(passphrase: string): Promise<StorageSecrets | null> {
    const file = await this.readFile();
    if (!file) return null;
    await keysReady();
    let plain: Uint8Array;
    try {
      plain = jsonDecrypt({ encoded: file.sealed.encoded, encoding: file.sealed.encoding as Parameters<typeof jsonDecrypt>[0]['encoding'] }, passphrase);
    } catch {
      throw new StorageCredentialsError('WRONG_PASSPHRASE', 'Wrong storage passphrase: the storage keys did not open (nothing was changed)');
    }
    const parsed = StorageSecretsShape.safeParse(safeJson(new TextDecoder().decode(plain)));
    plain.fill(0);
    if (!parsed.success) throw new StorageCredentialsError('BAD_FILE', `${this.file} opened but holds no storage keys: set the keys again`);
    return parsed.data;
  }

  async remove(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }

  private async readFile(): Promise<z.infer<typeof SecretFile> | null> {
    const text = await readFileIfExists(this.file);
    if (text === undefined) return null;
    const parsed = SecretFile.safeParse(safeJson(text));
    if (!parsed.success) throw new StorageCredentialsError('BAD_FILE', `${this.file} is not a Tandem storage secrets file (it was left as it is): move it away and set the keys again`);
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
