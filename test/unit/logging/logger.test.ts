import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogRing } from '../../../main/core/logging/log-ring';
import { createLogger } from '../../../main/core/logging/logger';
import { makeTempDir } from '../../support/temp-dir';

const flush = (logger: { flush(cb: (err?: Error) => void): void }) => new Promise<void>((resolve) => logger.flush(() => resolve()));

describe('logger', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('rotates by size and keeps a bounded number of files', async () => {
    const ring = new LogRing(10);
    const logger = await createLogger({ logDir: temp.dir, level: 'info', maxFileSizeMB: 1, maxFiles: 2, ring });
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 4500; i++) {
      logger.info({ i }, line);
      // pino-roll rolls on the stream's next drain; real logs pause between bursts, so pause here too.
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await flush(logger);
    await new Promise((r) => setTimeout(r, 200));
    const files = fs.readdirSync(temp.dir).filter((f) => f.endsWith('.log'));
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3);
    for (const f of files) expect(fs.statSync(path.join(temp.dir, f)).size).toBeLessThan(1.2 * 1024 * 1024);
  });

  it('redacts secrets in the file and in the UI ring alike', async () => {
    const ring = new LogRing();
    const logger = await createLogger({ logDir: temp.dir, level: 'info', maxFileSizeMB: 5, maxFiles: 2, ring });
    logger.info({ mnemonic: 'old leopard transfer', wallet: { password: 'hunter2' } }, 'imported wallet');
    await flush(logger);
    await new Promise((r) => setTimeout(r, 100));
    const text = fs.readdirSync(temp.dir).map((f) => fs.readFileSync(path.join(temp.dir, f), 'utf8')).join('');
    expect(text).toContain('imported wallet');
    expect(text).not.toContain('leopard');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('[redacted]');
    expect(ring.tail(10).map((e) => e.message)).toContain('imported wallet');
  });

  it('redacts storage secrets however deep a log call nests them', async () => {
    const ring = new LogRing();
    const logger = await createLogger({ logDir: temp.dir, level: 'info', maxFileSizeMB: 5, maxFiles: 2, ring });
    logger.info({ secretAccessKey: 'top-level-secret', write: { accessKeyId: 'WRITEKEY', secretAccessKey: 'nested-secret' }, params: { read: { secretAccessKey: 'deeper-secret' } }, credentials: { any: 'thing' } }, 'storage set');
    await flush(logger);
    await new Promise((r) => setTimeout(r, 100));
    const text = fs.readdirSync(temp.dir).map((f) => fs.readFileSync(path.join(temp.dir, f), 'utf8')).join('');
    expect(text).toContain('WRITEKEY');
    for (const secret of ['top-level-secret', 'nested-secret', 'deeper-secret', 'thing']) expect(text).not.toContain(secret);
  });

  it('keeps the newest lines in the ring and filters by level', () => {
    const ring = new LogRing(3);
    const stream = ring.stream();
    for (const [level, msg] of [[30, 'a'], [40, 'b'], [30, 'c'], [50, 'd']] as const) stream.write(`${JSON.stringify({ level, msg, time: 1 })}\n`);
    expect(ring.tail(10).map((e) => e.message)).toEqual(['b', 'c', 'd']);
    expect(ring.tail(10, 'warn').map((e) => e.message)).toEqual(['b', 'd']);
  });
});
